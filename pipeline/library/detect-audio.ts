import { basename } from "node:path";
import { asReadError } from "../content/read.js";
import { InputError } from "../errors.js";
import { boundedEach } from "../util/bounded-each.js";
import { type AudioFormat, claimsToBeAudio, detectFile, notAudioError } from "./audio-format.js";
import type { LibraryFile, LibraryFiles } from "./library-files.js";
import { type Problem, problemFrom } from "./problems.js";

/** Names the scan reads itself and therefore never reports as stray files. */
const SIDE_FILES = new Set(["metadata.json", "release.json"]);

export type DetectedAudio = { format: AudioFormat; mimeType: string; extension: string };

/** An audio file is one detected as audio, or one named like audio that turned out unusable. */
export type Detection =
  | { kind: "audio"; detected: DetectedAudio }
  | { kind: "rejected"; problem: Problem }
  | { kind: "other"; problem?: Problem };

/** Header reads at once while telling files apart: each is small, so well above the hashing limit. */
export const DETECT_CONCURRENCY = 16;

/**
 * Tells an audio file from the others by its header bytes. A file named like audio that is not usable
 * audio is rejected (the user meant it as a track); any other file is at most reported as skipped.
 */
export async function detectAudio(file: LibraryFile): Promise<Detection> {
  const name = file.relativePath;
  try {
    const detected = await detectFile(file.path);
    if (detected.kind !== "audio") {
      if (claimsToBeAudio(file.name.text)) {
        const detectedAs = detected.kind === "image" ? detected.mimeType : detected.detected;
        return {
          kind: "rejected",
          problem: problemFrom(notAudioError(name, detectedAs, file.size), "error", name),
        };
      }
      if (detected.kind === "image" || SIDE_FILES.has(basename(file.name.text))) return { kind: "other" };
      return {
        kind: "other",
        problem: {
          severity: "skipped",
          code: "UNSUPPORTED",
          file: name,
          message: `${name}: not audio (${detected.detected ?? "unrecognised bytes"}); skipped — supported: MP3, FLAC, Ogg Vorbis/Opus, WAV, AIFF, M4A/AAC`,
        },
      };
    }
    const { shortBy = 0 } = detected;
    if (shortBy > 0) {
      throw new InputError("TRUNCATED", `is truncated: ${shortBy} bytes shorter than its header says`, {
        file: name,
        field: "content",
        hint: "copy or download the file again",
      });
    }
    const { format, mimeType, extension } = detected;
    return { kind: "audio", detected: { format, mimeType, extension } };
  } catch (error) {
    // An errno (permission denied, vanished) becomes a sentence naming the file, not a raw path dump.
    const problem = problemFrom(asReadError(error, name), "error", name);
    return claimsToBeAudio(file.name.text) ? { kind: "rejected", problem } : { kind: "other", problem };
  }
}

export type AudioDetection = Exclude<Detection, { kind: "other" }>;

/** The library's audio files, packed, and each one's detection (same places). */
export interface LibraryAudio {
  files: LibraryFiles;
  detections: AudioDetection[];
}

/**
 * The library's audio files in library order, each with its detection: `DETECT_CONCURRENCY` header reads at
 * a time, and one detection object per format rather than one per file. Other files' problems go to `problems`.
 */
export async function detectLibraryAudio(files: LibraryFiles, problems: Problem[]): Promise<LibraryAudio> {
  const found: Array<AudioDetection | undefined> = new Array(files.length);
  const shared = new Map<string, AudioDetection>();
  await boundedEach(files.length, DETECT_CONCURRENCY, async (index) => {
    const detection = await detectAudio(files.at(index));
    if (detection.kind === "rejected") found[index] = detection;
    else if (detection.kind === "audio") {
      const { format, mimeType, extension } = detection.detected;
      const key = `${format} ${mimeType} ${extension}`;
      if (!shared.has(key)) shared.set(key, detection);
      found[index] = shared.get(key);
    } else if (detection.problem) problems.push(detection.problem);
  });
  const places = [...found.keys()].filter((index) => found[index] !== undefined);
  return { files: files.subset(places), detections: places.map((index) => found[index]!) };
}
