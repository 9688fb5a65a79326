import { stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type CidProfile, DEFAULT_CID_PROFILE } from "../content/types.js";
import { InputError } from "../errors.js";
import { detectAudio } from "../library/detect-audio.js";
import { hashAudio } from "../library/hash-audio.js";
import type { Problem } from "../library/problems.js";
import { ArtworkFinder } from "../metadata/artwork.js";
import { describe } from "../metadata/describe-track.js";
import { type ArtworkLimits, DEFAULT_ARTWORK_LIMITS } from "../metadata/image-check.js";
import { OverrideEntrySchema, type Overrides, overrideKeysFor } from "../metadata/overrides.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import { libraryName } from "../util/file-name.js";

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
