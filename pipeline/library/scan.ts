import { stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import pLimit from "p-limit";
import { z } from "zod";
import { addressFile } from "../content/address.js";
import { asReadError } from "../content/read.js";
import {
  type CidProfile,
  type ContentAddress,
  ContentAddressSchema,
  DEFAULT_CID_PROFILE,
} from "../content/types.js";
import { InputError } from "../errors.js";
import {
  ArtworkFinder,
  type ArtworkLimits,
  ArtworkSchema,
  DEFAULT_ARTWORK_LIMITS,
} from "../metadata/artwork.js";
import {
  loadOverrides,
  type OverrideEntry,
  OverrideEntrySchema,
  type Overrides,
  overrideKeysFor,
} from "../metadata/overrides.js";
import { AudioTechnicalSchema, readTrack } from "../metadata/read-track.js";
import { TrackTagsSchema } from "../metadata/track-tags.js";
import { FilePathSchema, libraryName, NameBytesSchema, NameEncodingSchema } from "../util/file-name.js";
import {
  AudioFormatSchema,
  claimsToBeAudio,
  declaredLengthShortfall,
  detectFile,
  notAudioError,
} from "./audio-format.js";
import { type Problem, ProblemSchema, problemFrom } from "./problems.js";
import { displayPath, type LibraryFile, walkLibrary } from "./walk.js";

/** One track as the pipeline sees it: every later stage works from this, never from the file's name. */
export const ScannedTrackSchema = z.object({
  /** The exact bytes of the file's path: what every stage opens. */
  path: FilePathSchema,
  /** Relative to the library root, "/"-separated, readable (marked when its decoding is a guess): the name every report uses. */
  file: z.string(),
  /** How the name's bytes were decoded for `file`; anything but utf-8 is a guess. */
  nameEncoding: NameEncodingSchema,
  /** The relative path's exact bytes (base64) when `file` does not spell them: the ledger keys by them. */
  nameBytes: NameBytesSchema.optional(),
  /** Size, SHA-256 and CID from the one pass over the bytes; the pipeline never hashes the file again. */
  content: ContentAddressSchema,
  format: AudioFormatSchema,
  mimeType: z.string(),
  extension: z.string(),
  audio: AudioTechnicalSchema,
  /** Tags from the file with metadata.json applied on top. */
  tags: TrackTagsSchema.partial().extend({ title: z.string(), artist: z.string() }),
  artwork: ArtworkSchema.optional(),
  /** Other files in the library with the same bytes, reported and not minted again. */
  duplicates: z.array(z.string()),
  /** Modification time and inode when hashed, so the ledger can let a later scan skip re-hashing. */
  modifiedMs: z.number(),
  ino: z.number(),
});
export type ScannedTrack = z.infer<typeof ScannedTrackSchema>;

export const ScanResultSchema = z.object({
  root: z.string(),
  tracks: z.array(ScannedTrackSchema),
  problems: z.array(ProblemSchema),
});
/** A whole library's scan held in memory (`collectScan`): for the plan and `dcmx scan`, not for a run. */
export type ScanResult = z.infer<typeof ScanResultSchema>;

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
  knownAddress?: (file: FileIdentity) => Promise<ContentAddress | undefined>;
  /** The library's audio files, once they are told apart from other files (before hashing). */
  onAudioFiles?: (files: LibraryFile[]) => void;
  /**
   * What became of each audio file, as soon as it is known: a caller can start on a track while other
   * files are still being hashed. Files of one size (the only ones that can be duplicates) come in
   * library order; `order` gives every file's place in the library.
   */
  onAudioFile?: (outcome: AudioFileOutcome) => void;
  /**
   * Called before a file is hashed; the scan waits until it resolves. The returned function is called once
   * the file's outcome needs nothing more from the scan's caller: at once for a file that is no track, or
   * by the caller (`release` in the outcome) when it is done with the track. This is how a run keeps the
   * scan only as far ahead of the uploads as its concurrency, whatever the size of the library.
   */
  admit?: () => Promise<() => void>;
  /** Stops hashing further files; the scan then returns what it has. */
  signal?: AbortSignal;
}

/** One audio file's scan: a usable track (with its warnings), or why it is not one (an error, a duplicate). */
export type AudioFileOutcome =
  | { kind: "track"; track: ScannedTrack; warnings: Problem[]; order: number; release: () => void }
  | {
      kind: "rejected";
      file: string;
      problem: Problem;
      order: number;
      /** For a duplicate: the track it is a copy of. */
      duplicateOf?: { file: string; sha256: string };
    };

/** What identifies a file's bytes between scans without reading them. */
export interface FileIdentity {
  file: string;
  nameBytes?: string;
  size: number;
  mtimeMs: number;
  ino: number;
  profile: CidProfile;
}

/** Names the scan reads itself and therefore never reports as stray files. */
const SIDE_FILES = new Set(["metadata.json", "release.json"]);

/**
 * Scans a music library: finds audio by its bytes, hashes each file once, merges tags with
 * metadata.json and finds artwork. Never throws for a bad file. Each audio file's outcome is handed to
 * `onAudioFile` as soon as it is known and not kept: memory follows `admit`, not the library's size.
 */
export async function scanLibrary(root: string, options: ScanOptions = {}): Promise<ScanSummary> {
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
  detections.length = 0;
  options.onAudioFiles?.(audio.map(({ file }) => file));

  const finder = new ArtworkFinder({
    root: libraryRoot,
    artworkDir,
    extractDir: resolve(options.extractDir ?? join(".dcmx", "artwork")),
    profile,
    limits: options.artworkLimits ?? DEFAULT_ARTWORK_LIMITS,
  });
  // Hashing and describing run `limit` files at a time, each once `admit` lets it. Only files of the same
  // size can be duplicates, so each size's files are decided in library order (the first of several
  // identical files is the one minted) while files of other sizes go on: a long recording does not hold
  // back the tracks after it. A file's result is dropped once decided.
  const scanned: Array<Promise<Scanned> | undefined> = audio.map(({ file, detection }) =>
    limit(async (): Promise<Scanned> => {
      if (detection.kind === "rejected") return detection;
      if (options.signal?.aborted) return { kind: "stopped" };
      const release = (await options.admit?.()) ?? (() => {});
      const hashed = await hashAudio(file, detection.detected, profile, options);
      if (hashed.kind === "rejected") {
        release();
        return options.signal?.aborted ? { kind: "stopped" } : hashed;
      }
      return { kind: "audio", item: hashed, described: await describe(hashed, overrides, finder), release };
    }),
  );
  const usedKeys = new Set<string>();
  const decide = (index: number, outcome: Scanned, firstBySha: Map<string, AudioFile>): void => {
    const { file } = audio[index]!;
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
    const { item, described, release } = outcome;
    const first = firstBySha.get(item.content.sha256);
    if (first !== undefined) {
      release();
      first.duplicates.push(file.relativePath);
      const problem: Problem = {
        severity: "skipped",
        code: "DUPLICATE",
        file: file.relativePath,
        field: "content",
        message: `${file.relativePath}: same bytes as ${first.file.relativePath} (sha256 ${first.content.sha256.slice(0, 12)}…) — minted once, as ${first.file.relativePath}`,
      };
      problems.push(problem);
      options.onAudioFile?.({
        kind: "rejected",
        file: file.relativePath,
        problem,
        order: index,
        duplicateOf: { file: first.file.relativePath, sha256: first.content.sha256 },
      });
      return;
    }
    firstBySha.set(item.content.sha256, item);
    if (described.key !== undefined) usedKeys.add(described.key);
    if (described.track !== undefined) {
      options.onAudioFile?.({
        kind: "track",
        track: described.track,
        warnings: described.problems,
        order: index,
        release,
      });
    } else {
      release();
      const problem = described.problems.find((p) => p.severity === "error") ?? described.problems[0]!;
      problems.push(...described.problems);
      options.onAudioFile?.({ kind: "rejected", file: file.relativePath, problem, order: index });
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
      // Duplicates have one size: the first of each content is remembered only while its size is scanned.
      const firstBySha = new Map<string, AudioFile>();
      for (const index of indices) {
        const outcome = await scanned[index]!;
        scanned[index] = undefined;
        decide(index, outcome, firstBySha);
      }
    }),
  );

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
 * A whole library's scan in memory, tracks in library order with every warning: what the plan and
 * `dcmx scan` show. A run streams instead (`scanLibrary` with `onAudioFile`).
 */
export async function collectScan(
  root: string,
  options: Omit<ScanOptions, "onAudioFile" | "admit"> = {},
): Promise<ScanResult> {
  const tracks: Array<{ order: number; track: ScannedTrack }> = [];
  const warnings: Problem[] = [];
  const summary = await scanLibrary(root, {
    ...options,
    onAudioFile: (outcome) => {
      if (outcome.kind === "rejected") return;
      tracks.push({ order: outcome.order, track: outcome.track });
      warnings.push(...outcome.warnings);
    },
  });
  return {
    root: summary.root,
    tracks: tracks.sort((a, b) => a.order - b.order).map((t) => t.track),
    problems: sortProblems([...summary.problems, ...warnings]),
  };
}

interface AudioFile {
  kind: "audio";
  file: LibraryFile;
  content: ScannedTrack["content"];
  detected: DetectedAudio;
  duplicates: string[];
}

type DetectedAudio = Pick<ScannedTrack, "format" | "mimeType" | "extension">;

/** An audio file is one detected as audio, or one named like audio that turned out unusable. */
type Detection =
  | { kind: "audio"; detected: DetectedAudio }
  | { kind: "rejected"; problem: Problem }
  | { kind: "other"; problem?: Problem };

type Scanned =
  | { kind: "stopped" }
  | { kind: "rejected"; problem: Problem }
  | { kind: "audio"; item: AudioFile; described: Described; release: () => void };

/** Header reads at once while telling files apart: each is small, so well above the hashing limit. */
const DETECT_CONCURRENCY = 16;

async function detectAudio(file: LibraryFile): Promise<Detection> {
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
    const shortBy = await declaredLengthShortfall(file.path, detected.format, file.size);
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

async function hashAudio(
  file: LibraryFile,
  detected: DetectedAudio,
  profile: CidProfile,
  { knownAddress, signal }: Pick<ScanOptions, "knownAddress" | "signal"> = {},
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

/** A track with its warnings, or the problems that keep the file from being one; `key` is its metadata.json entry. */
type Described = { key?: string; problems: Problem[]; track?: ScannedTrack };

async function describe(
  item: AudioFile,
  overrides: Overrides | undefined,
  finder: ArtworkFinder,
): Promise<Described> {
  const keys = overrideKeysFor(item.file.name.text);
  const key = keys.find((k) => overrides?.entries.has(k) || overrides?.invalid.has(k));
  try {
    return { key, ...(await describeTrack(item, key, overrides, finder)) };
  } catch (error) {
    return { key, problems: [problemFrom(error, "error", item.file.relativePath)] };
  }
}

async function describeTrack(
  item: AudioFile,
  key: string | undefined,
  overrides: Overrides | undefined,
  finder: ArtworkFinder,
): Promise<{ track?: ScannedTrack; problems: Problem[] }> {
  const name = item.file.relativePath;
  const invalid = key === undefined ? undefined : overrides?.invalid.get(key);
  if (invalid !== undefined) {
    // A half-applied entry would mint wrong metadata for good; the track waits until the entry is fixed.
    return { problems: invalid.map((error) => problemFrom(error, "error", overrides!.file)) };
  }
  const entry: OverrideEntry = (key === undefined ? undefined : overrides?.entries.get(key)) ?? {};
  const reading = await readTrack(item.file.path, name, item.detected.mimeType);
  const problems = reading.warnings.map((w) => problemFrom(w, "warning", name));

  const { artwork: artworkOverride, ...tagOverrides } = entry;
  const stem = basename(item.file.name.text, extname(item.file.name.text));
  const merged = { ...reading.tags, ...tagOverrides };
  // An override of `artist` alone must not leave the file's old co-artists behind.
  if (tagOverrides.artist !== undefined && tagOverrides.artists === undefined)
    merged.artists = [tagOverrides.artist];
  if (merged.title === undefined) {
    problems.push({
      severity: "warning",
      code: "NO_TITLE",
      file: name,
      field: "title",
      message: `${name}: title: no title tag; using the file name "${stem}" — set a title tag or "title" in metadata.json`,
    });
  }
  const artist = merged.artist ?? merged.artists?.join(", ");
  if (artist === undefined) {
    // With the tags that were dropped on the way: they often say why no artist is left.
    const error = new InputError("NO_ARTIST", "no artist tag and no artist in metadata.json", {
      file: name,
      field: "artist",
      hint: `add an artist tag, or {"${stem}": {"artist": "…"}} to metadata.json`,
    });
    return { problems: [...problems, problemFrom(error, "error", name)] };
  }

  const found = await finder.find({
    file: name,
    audioPath: item.file.path,
    stem,
    override:
      artworkOverride === undefined
        ? undefined
        : {
            artwork: artworkOverride,
            metadataFile: overrides!.path,
            entry: `${overrides!.file}: ${key}.artwork`,
          },
    picture: reading.picture,
  });
  if (found.error) return { problems: [...problems, problemFrom(found.error, "error", name)] };
  problems.push(...found.warnings.map((w) => problemFrom(w, "warning", name)));

  const track: ScannedTrack = {
    path: item.file.path,
    file: name,
    nameEncoding: item.file.name.encoding,
    nameBytes: item.file.name.bytes,
    content: item.content,
    ...item.detected,
    audio: reading.technical,
    tags: { ...merged, title: merged.title ?? stem, artist },
    artwork: found.artwork,
    duplicates: item.duplicates,
    modifiedMs: item.file.mtimeMs,
    ino: item.file.ino,
  };
  return { track, problems };
}

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
