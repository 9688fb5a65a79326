import { addressFile } from "../content/address.js";
import { asReadError } from "../content/read.js";
import type { CidProfile, ContentAddress } from "../content/types.js";
import type { DetectedAudio } from "./detect-audio.js";
import type { LibraryFile } from "./library-files.js";
import { type Problem, problemFrom } from "./problems.js";

/** What identifies a file's bytes between scans without reading them. */
export interface FileIdentity {
  file: string;
  nameBytes?: string;
  size: number;
  mtimeMs: number;
  ino: number;
  profile: CidProfile;
}

/** An audio file whose bytes are addressed: what the metadata merging describes as a track. */
export interface AudioFile {
  kind: "audio";
  file: LibraryFile;
  content: ContentAddress;
  detected: DetectedAudio;
  duplicates: string[];
}

export interface HashOptions {
  /** An address computed by an earlier scan for the same unchanged file: then no byte is read. */
  knownAddress?: (file: FileIdentity) => Promise<ContentAddress | undefined>;
  signal?: AbortSignal;
}

/** The one pass over a file's bytes (size, SHA-256, CID), or the address an unchanged file already has. */
export async function hashAudio(
  file: LibraryFile,
  detected: DetectedAudio,
  profile: CidProfile,
  { knownAddress, signal }: HashOptions = {},
): Promise<AudioFile | { kind: "rejected"; problem: Problem }> {
  const identity = {
    file: file.relativePath,
    nameBytes: file.name.bytes,
    size: file.size,
    mtimeMs: file.mtimeMs,
    ino: file.ino,
    profile,
  };
  try {
    const content = (await knownAddress?.(identity)) ?? (await addressFile(file.path, { profile, signal }));
    return { kind: "audio", file, content, detected, duplicates: [] };
  } catch (error) {
    return {
      kind: "rejected",
      problem: problemFrom(asReadError(error, file.relativePath), "error", file.relativePath),
    };
  }
}
