import { stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import pLimit from "p-limit";
import { z } from "zod";
import { type CidProfile, type ContentAddress, DEFAULT_CID_PROFILE } from "../content/types.js";
import { InputError } from "../errors.js";
import { DETECT_CONCURRENCY, type Detection, detectAudio } from "../library/detect-audio.js";
import { type AudioFile, type FileIdentity, hashAudio } from "../library/hash-audio.js";
import { type Problem, ProblemSchema, problemFrom } from "../library/problems.js";
import { displayPath, type LibraryFile, walkLibrary } from "../library/walk.js";
import { ArtworkFinder, type ArtworkLimits, DEFAULT_ARTWORK_LIMITS } from "../metadata/artwork.js";
import { type Described, describe } from "../metadata/describe-track.js";
import {
  loadOverrides,
  OverrideEntrySchema,
  type Overrides,
  overrideKeysFor,
} from "../metadata/overrides.js";
import { type ScannedTrack, ScannedTrackSchema } from "../metadata/scanned-track.js";
import { libraryName } from "../util/file-name.js";

export const ScanResultSchema = z.object({
  root: z.string(),
  tracks: z.array(ScannedTrackSchema),
  problems: z.array(ProblemSchema),
});
export type ScanResult = z.infer<typeof ScanResultSchema>;

export interface ScanOptions {
  /** metadata.json; defaults to `<root>/metadata.json` when that file exists. */
  metadataFile?: string;
  artworkDir?: string;
  /** Where embedded pictures are extracted (default `.dcmx/artwork`). */
  extractDir?: string;
  profile?: CidProfile;
  artworkLimits?: ArtworkLimits;
  /** Files read at once; each read is I/O plus hashing, so a little above the core count. */
  concurrency?: number;
  /**
   * Content addresses already computed for files that have not changed since (same path, size, mtime and
   * inode, same profile): a re-run of a large library then reads no audio bytes at all.
   */
  knownAddress?: (file: FileIdentity) => ContentAddress | undefined;
  /** The library's audio files, once they are told apart from other files (before hashing). */
  onAudioFiles?: (files: LibraryFile[]) => void;
  /**
   * What became of each audio file, as soon as it is known: a caller can start on a track while other
   * files are still being hashed. Files of one size (the only ones that can be duplicates) come in
   * library order; `tracks` in the result is in library order.
   */
  onAudioFile?: (outcome: AudioFileOutcome) => void;
  /** Stops hashing further files; the scan then returns what it has. */
  signal?: AbortSignal;
}

/** One audio file's scan: a usable track (with its warnings), or why it is not one (an error, a duplicate). */
export type AudioFileOutcome =
  | { kind: "track"; track: ScannedTrack; warnings: Problem[] }
  | { kind: "rejected"; file: string; problem: Problem };

/**
 * Scans a music library: finds audio by its bytes, hashes each file once, merges tags with
 * metadata.json and finds artwork. Never throws for a bad file; every problem is in `problems`, and
 * only files that are usable tracks are in `tracks` (one per distinct SHA-256, in library order).
 */
export async function scanLibrary(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const libraryRoot = resolve(root);
  const artworkDir = options.artworkDir === undefined ? undefined : resolve(options.artworkDir);
  await requireDirectory(libraryRoot, "library");
  if (artworkDir !== undefined) await requireDirectory(artworkDir, "--artwork-dir");
  const metadataFile = await findMetadataFile(libraryRoot, options.metadataFile);
  const profile = options.profile ?? DEFAULT_CID_PROFILE;
  const limit = pLimit(options.concurrency ?? 3);
  const problems: Problem[] = [];

  const overrides =
    metadataFile === undefined
      ? undefined
      : await loadOverrides(metadataFile, displayPath(libraryRoot, metadataFile));
  for (const error of overrides?.fileErrors ?? [])
    problems.push(problemFrom(error, "error", overrides!.file));

  const { files, refused } = await walkLibrary(libraryRoot);
  for (const error of refused) problems.push(problemFrom(error, "skipped", error.file!));

  // Telling audio from other files reads a few header bytes: all of it is done first, so the count of
  // tracks to come is known before the first is hashed.
  const detectLimit = pLimit(DETECT_CONCURRENCY);
  const detections = await Promise.all(files.map((file) => detectLimit(() => detectAudio(file))));
  const audio: Array<{ file: LibraryFile; detection: Exclude<Detection, { kind: "other" }> }> = [];
  for (const [index, detection] of detections.entries()) {
    if (detection.kind !== "other") audio.push({ file: files[index]!, detection });
    else if (detection.problem) problems.push(detection.problem);
  }
  options.onAudioFiles?.(audio.map(({ file }) => file));

  const finder = new ArtworkFinder({
    root: libraryRoot,
    artworkDir,
    extractDir: resolve(options.extractDir ?? join(".dcmx", "artwork")),
    profile,
    limits: options.artworkLimits ?? DEFAULT_ARTWORK_LIMITS,
  });
  // Hashing and describing run `limit` files at a time. Only files of the same size can be duplicates, so
  // each size's files are decided in library order (the first of several identical files is the one
  // minted) while files of other sizes go on: a long recording does not hold back the tracks after it.
  const scanned = audio.map(({ file, detection }) =>
    limit(async (): Promise<Scanned> => {
      if (detection.kind === "rejected") return detection;
      if (options.signal?.aborted) return { kind: "stopped" };
      const hashed = await hashAudio(file, detection.detected, profile, options);
      if (hashed.kind === "rejected") return options.signal?.aborted ? { kind: "stopped" } : hashed;
      return { kind: "audio", item: hashed, described: await describe(hashed, overrides, finder) };
    }),
  );
  const firstBySha = new Map<string, AudioFile>();
  const usedKeys = new Set<string>();
  const trackAt = new Map<number, ScannedTrack>();
  const decide = (index: number, outcome: Scanned): void => {
    const { file } = audio[index]!;
    if (outcome.kind === "stopped") return;
    if (outcome.kind === "rejected") {
      problems.push(outcome.problem);
      options.onAudioFile?.({ kind: "rejected", file: file.relativePath, problem: outcome.problem });
      return;
    }
    const { item, described } = outcome;
    const first = firstBySha.get(item.content.sha256);
    if (first !== undefined) {
      first.duplicates.push(file.relativePath);
      const problem: Problem = {
        severity: "skipped",
        code: "DUPLICATE",
        file: file.relativePath,
        field: "content",
        message: `${file.relativePath}: same bytes as ${first.file.relativePath} (sha256 ${first.content.sha256.slice(0, 12)}…) — minted once, as ${first.file.relativePath}`,
      };
      problems.push(problem);
      options.onAudioFile?.({ kind: "rejected", file: file.relativePath, problem });
      return;
    }
    firstBySha.set(item.content.sha256, item);
    if (described.key !== undefined) usedKeys.add(described.key);
    problems.push(...described.problems);
    if (described.track !== undefined) {
      trackAt.set(index, described.track);
      options.onAudioFile?.({ kind: "track", track: described.track, warnings: described.problems });
    } else {
      const problem = described.problems.find((p) => p.severity === "error") ?? described.problems[0]!;
      options.onAudioFile?.({ kind: "rejected", file: file.relativePath, problem });
    }
  };
  const bySize = new Map<number, number[]>();
  for (const [index, { file }] of audio.entries()) {
    const group = bySize.get(file.size);
    if (group === undefined) bySize.set(file.size, [index]);
    else group.push(index);
  }
  await Promise.all(
    [...bySize.values()].map(async (indices) => {
      for (const index of indices) decide(index, await scanned[index]!);
    }),
  );
  const tracks = [...trackAt.keys()].sort((a, b) => a - b).map((index) => trackAt.get(index)!);

  for (const key of overrides?.entries.keys() ?? []) {
    if (usedKeys.has(key)) continue;
    problems.push({
      severity: "warning",
      code: "METADATA_UNUSED",
      file: overrides!.file,
      field: key,
      message: `${overrides!.file}: ${key}: no track in the library matches this key — use the track's file name without extension (e.g. "song1" for song1.mp3)`,
    });
  }

  return { root: libraryRoot, tracks, problems: sortProblems(problems) };
}

type Scanned =
  | { kind: "stopped" }
  | { kind: "rejected"; problem: Problem }
  | { kind: "audio"; item: AudioFile; described: Described };

async function requireDirectory(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new InputError("NOT_A_DIRECTORY", `${path} is not a directory`, {
      file: path,
      field: what,
      hint: "pass the folder that holds your tracks",
    });
  }
}

async function findMetadataFile(root: string, given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) {
    const path = resolve(given);
    if (!(await stat(path).catch(() => undefined))?.isFile()) {
      throw new InputError("NO_METADATA_FILE", "file not found", {
        file: path,
        field: "--metadata",
        hint: "pass the path of your metadata.json, or leave the option out",
      });
    }
    return path;
  }
  const beside = join(root, "metadata.json");
  return (await stat(beside).catch(() => undefined))?.isFile() ? beside : undefined;
}

const SEVERITY_ORDER = { error: 0, warning: 1, skipped: 2 } as const;

/** Problems in a stable order (parallel work finishes in any order). */
function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

export interface ScanTrackOptions {
  /** Tags to set on top of the file's own (the original design's `track_metadata`). */
  tags?: Record<string, unknown>;
  /** An image to use as the track's artwork, instead of a cover found beside it or embedded. */
  artworkPath?: string;
  profile?: CidProfile;
  extractDir?: string;
  artworkLimits?: ArtworkLimits;
}

/**
 * Scans one audio file outside any library, through the same identification, tag and artwork rules as
 * `scanLibrary`; what a library's metadata.json entry would say comes from `options.tags`.
 */
export async function scanTrack(
  path: string,
  options: ScanTrackOptions = {},
): Promise<{ track?: ScannedTrack; problems: Problem[] }> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isFile()) {
    throw new InputError("NOT_A_FILE", "file not found", {
      file: absolute,
      hint: "pass the path of an audio file",
    });
  }
  const name = libraryName([Buffer.from(basename(absolute))]);
  const file = {
    path: absolute,
    relativePath: name.display,
    name,
    size: info.size,
    mtimeMs: info.mtimeMs,
    ino: info.ino,
  };
  const detection = await detectAudio(file);
  if (detection.kind !== "audio") return { problems: detection.problem ? [detection.problem] : [] };
  const identified = await hashAudio(file, detection.detected, options.profile ?? DEFAULT_CID_PROFILE);
  if (identified.kind === "rejected") return { problems: [identified.problem] };
  const entry = {
    ...options.tags,
    ...(options.artworkPath === undefined ? {} : { artwork: resolve(options.artworkPath) }),
  };
  const parsed = OverrideEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError("BAD_TAGS", issue.message, {
      file: name.display,
      field: `trackMetadata.${issue.path.join(".")}`,
    });
  }
  // The entry is presented as a metadata.json beside the file, keyed by the file's name.
  const key = overrideKeysFor(name.text)[0]!;
  const overrides: Overrides = {
    path: join(dirname(absolute), "metadata.json"),
    file: "trackMetadata",
    entries: new Map([[key, parsed.data]]),
    invalid: new Map(),
    fileErrors: [],
  };
  const finder = new ArtworkFinder({
    root: dirname(absolute),
    // The caller named this image itself: its folder is one the artwork may come from.
    allowedDirs: options.artworkPath === undefined ? [] : [dirname(resolve(options.artworkPath))],
    extractDir: resolve(options.extractDir ?? join(".dcmx", "artwork")),
    profile: options.profile ?? DEFAULT_CID_PROFILE,
    limits: options.artworkLimits ?? DEFAULT_ARTWORK_LIMITS,
  });
  const { track, problems } = await describe(identified, overrides, finder);
  return { track, problems };
}
