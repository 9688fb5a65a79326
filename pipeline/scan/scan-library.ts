import { join, resolve } from "node:path";
import { type CidProfile, type ContentAddress, DEFAULT_CID_PROFILE } from "../content/types.js";
import { type AudioDetection, detectLibraryAudio, type LibraryAudio } from "../library/detect-audio.js";
import { type AudioFile, type FileIdentity, hashAudio } from "../library/hash-audio.js";
import type { LibraryFile, LibraryFiles } from "../library/library-files.js";
import { type Problem, problemFrom, sortProblems } from "../library/problems.js";
import { displayPath, walkLibrary } from "../library/walk.js";
import { ArtworkFinder } from "../metadata/artwork.js";
import { type Described, describe, overrideKey } from "../metadata/describe-track.js";
import { type ArtworkLimits, DEFAULT_ARTWORK_LIMITS } from "../metadata/image-check.js";
import { loadOverrides } from "../metadata/overrides.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import { boundedEach } from "../util/bounded-each.js";
import { findMetadataFile, requireDirectory } from "./scan-inputs.js";

/**
 * What a streaming scan returns once every file is handed over: the problems that belong to no audio file
 * handed over as a track (metadata.json, unreadable folders, files that are not audio, unused metadata
 * entries, and audio files that are no track: unreadable ones and duplicates, as many as the bad input,
 * not the library). Tracks and their warnings were handed over one by one and are not kept.
 */
export interface ScanSummary {
  root: string;
  problems: Problem[];
}

/**
 * What the `settled` check found of a content: a track an earlier run finished, or what the check read of it
 * (`known`, such as its state in the ledger), handed over with the content's track so it is not read again.
 */
export type SettledCheck<Known> = { settled: true } | { settled: false; known: Known };

/** `Known`: what the `settled` check hands on to a track it did not find finished. */
export interface ScanOptions<Known = undefined> {
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
  knownAddress?: (file: FileIdentity) => Promise<ContentAddress | undefined>;
  /** The library's audio files, once they are told apart from other files (before hashing). */
  onAudioFiles?: (files: LibraryFiles) => void;
  /**
   * What became of each audio file, as soon as it is known: a caller can start on a track while other
   * files are still being hashed. Files of one size (the only ones that can be duplicates) come in
   * library order; `order` gives every file's place in the library.
   */
  onAudioFile?: (outcome: AudioFileOutcome<Known>) => void;
  /**
   * Called before a file is hashed; the scan waits for it. Its function is called once the scan's caller
   * needs nothing more of the file (at once for no track; by the caller, `release`, for a track): the scan
   * stays only as far ahead as the run's concurrency. Undefined: the file is not this scan's (another worker
   * has it); it is neither read nor reported.
   */
  admit?: (file: LibraryFile) => Promise<(() => void) | undefined>;
  /**
   * Whether a content is a track an earlier run finished (stored everywhere it belongs, and minted): its file
   * is only addressed (without a read when unchanged) and handed over as `settled`, its tags and artwork
   * left unread, so a re-run of a finished catalog costs a lookup per file. Otherwise what the check read
   * comes with the file's track as `known`: that lookup is the only one the track needs.
   */
  settled?: (content: ContentAddress) => Promise<SettledCheck<Known>>;
  /** Stops hashing further files; the scan then returns what it has. */
  signal?: AbortSignal;
}

/** One audio file's scan: a usable track (with its warnings), or why it is not one (an error, a duplicate). */
export type AudioFileOutcome<Known = undefined> =
  | {
      kind: "track";
      track: ScannedTrack;
      warnings: Problem[];
      order: number;
      release: () => void;
      /** What the `settled` check read of the track's content (undefined without the option). */
      known: Known | undefined;
    }
  | { kind: "settled"; file: string; content: ContentAddress; order: number; release: () => void }
  | {
      kind: "rejected";
      file: string;
      problem: Problem;
      order: number;
      /** For a duplicate: the track it is a copy of. */
      duplicateOf?: { file: string; sha256: string };
    };

/**
 * Scans a music library: finds audio by its bytes, hashes each file once, merges tags with
 * metadata.json and finds artwork. Never throws for a bad file. Each audio file's outcome is handed to
 * `onAudioFile` as soon as it is known and not kept: memory follows `admit`, not the library's size.
 */
export async function scanLibrary<Known = undefined>(
  root: string,
  options: ScanOptions<Known> = {},
): Promise<ScanSummary> {
  const libraryRoot = resolve(root);
  const artworkDir = options.artworkDir === undefined ? undefined : resolve(options.artworkDir);
  await requireDirectory(libraryRoot, "library");
  if (artworkDir !== undefined) await requireDirectory(artworkDir, "--artwork-dir");
  const metadataFile = await findMetadataFile(libraryRoot, options.metadataFile);
  const profile = options.profile ?? DEFAULT_CID_PROFILE;
  const problems: Problem[] = [];

  const overrides =
    metadataFile === undefined
      ? undefined
      : await loadOverrides(metadataFile, displayPath(libraryRoot, metadataFile));
  for (const error of overrides?.fileErrors ?? [])
    problems.push(problemFrom(error, "error", overrides!.file));

  // Packed (see LibraryFiles): a file's LibraryFile is built when its turn comes and dropped once it is decided.
  const audio = await findAudio(libraryRoot, problems);
  const count = audio.files.length;
  options.onAudioFiles?.(audio.files);

  const finder = new ArtworkFinder({
    root: libraryRoot,
    artworkDir,
    extractDir: resolve(options.extractDir ?? join(".dcmx", "artwork")),
    profile,
    limits: options.artworkLimits ?? DEFAULT_ARTWORK_LIMITS,
  });
  // Files are hashed and described `concurrency` at a time, each once `admit` lets it. Only files of one size
  // can be duplicates, so each size's files are decided in library order (the first of identical files is
  // minted) while other sizes go on: a long recording holds back no other track. A result goes once decided.
  const scan = async (file: LibraryFile, detection: AudioDetection): Promise<Scanned<Known>> => {
    if (detection.kind === "rejected") return detection;
    if (options.signal?.aborted) return { kind: "stopped" };
    const release = options.admit === undefined ? () => {} : await options.admit(file);
    if (release === undefined) return { kind: "stopped" };
    const hashed = await hashAudio(file, detection.detected, profile, options);
    if (hashed.kind === "rejected") {
      release();
      return options.signal?.aborted ? { kind: "stopped" } : hashed;
    }
    const check = await options.settled?.(hashed.content);
    if (check?.settled) return { kind: "settled", item: hashed, release };
    const described = await describe(hashed, overrides, finder);
    return { kind: "audio", item: hashed, described, release, known: check?.known };
  };
  const usedKeys = new Set<string>();
  const decide = (
    index: number,
    file: LibraryFile,
    outcome: Scanned<Known>,
    firstBySha: Map<string, FirstCopy>,
  ): void => {
    if (outcome.kind === "stopped") return;
    if (outcome.kind === "rejected") {
      problems.push(outcome.problem);
      options.onAudioFile?.({
        kind: "rejected",
        file: file.relativePath,
        problem: outcome.problem,
        order: index,
      });
      return;
    }
    const { item, release } = outcome;
    const first = firstBySha.get(item.content.sha256);
    if (first !== undefined) {
      release();
      first.duplicates.push(file.relativePath);
      const { sha256 } = item.content;
      const problem: Problem = {
        severity: "skipped",
        code: "DUPLICATE",
        file: file.relativePath,
        field: "content",
        message: `${file.relativePath}: same bytes as ${first.file} (sha256 ${sha256.slice(0, 12)}…) — minted once, as ${first.file}`,
      };
      problems.push(problem);
      options.onAudioFile?.({
        kind: "rejected",
        file: file.relativePath,
        problem,
        order: index,
        duplicateOf: { file: first.file, sha256 },
      });
      return;
    }
    firstBySha.set(item.content.sha256, { file: file.relativePath, duplicates: item.duplicates });
    if (outcome.kind === "settled") {
      const key = overrideKey(file.name.text, overrides);
      if (key !== undefined) usedKeys.add(key);
      const { content } = item;
      options.onAudioFile?.({ kind: "settled", file: file.relativePath, content, order: index, release });
      return;
    }
    const { described } = outcome;
    if (described.key !== undefined) usedKeys.add(described.key);
    if (described.track !== undefined) {
      options.onAudioFile?.({
        kind: "track",
        track: described.track,
        warnings: described.problems,
        order: index,
        release,
        known: outcome.known,
      });
    } else {
      release();
      const problem = described.problems.find((p) => p.severity === "error") ?? described.problems[0]!;
      problems.push(...described.problems);
      options.onAudioFile?.({ kind: "rejected", file: file.relativePath, problem, order: index });
    }
  };
  // Duplicates have one size: a size's files are decided one after another (`turn`), and the first of each
  // content is remembered only until the last file of its size is decided (`left`).
  const left = new Map<number, number>();
  for (let index = 0; index < count; index++) {
    const size = audio.files.sizeAt(index);
    left.set(size, (left.get(size) ?? 0) + 1);
  }
  const sizes = new Map<number, { turn: Promise<void>; firstBySha: Map<string, FirstCopy> }>();
  let failure: unknown;
  await boundedEach(count, options.concurrency ?? 3, async (index) => {
    const size = audio.files.sizeAt(index);
    const group = sizes.get(size) ?? { turn: Promise.resolve(), firstBySha: new Map<string, FirstCopy>() };
    sizes.set(size, group);
    const previous = group.turn;
    let decided!: () => void;
    group.turn = new Promise<void>((resolve) => (decided = resolve));
    const file = audio.files.at(index);
    const outcome = await scan(file, audio.detections[index]!);
    // Decided once the earlier files of its size are, without holding this place meanwhile.
    void previous.then(() => {
      try {
        decide(index, file, outcome, group.firstBySha);
      } catch (error) {
        failure ??= error;
      } finally {
        const remaining = left.get(size)! - 1;
        if (remaining === 0) {
          left.delete(size);
          sizes.delete(size);
        } else left.set(size, remaining);
        decided();
      }
    });
  });
  await Promise.all([...sizes.values()].map((group) => group.turn));
  if (failure !== undefined) throw failure;

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

  return { root: libraryRoot, problems: sortProblems(problems) };
}

/**
 * The library's audio files, each with its detection. Telling audio from other files reads a few header
 * bytes: all of it is done first, so the count of tracks to come is known before the first is hashed. The
 * walk's list of every file is dropped here: the scan keeps the audio files, packed, and a detection shared
 * by every file of its format.
 */
async function findAudio(root: string, problems: Problem[]): Promise<LibraryAudio> {
  const { files, refused } = await walkLibrary(root);
  for (const error of refused) problems.push(problemFrom(error, "skipped", error.file!));
  return detectLibraryAudio(files, problems);
}

/** The first file of a content, kept while files of its size are left: what its duplicates name. */
type FirstCopy = { file: string; duplicates: string[] };

type Scanned<Known> =
  | { kind: "stopped" }
  | { kind: "rejected"; problem: Problem }
  | { kind: "audio"; item: AudioFile; described: Described; release: () => void; known: Known | undefined }
  | { kind: "settled"; item: AudioFile; release: () => void };
