import { basename, extname } from "node:path";
import { InputError } from "../errors.js";
import type { AudioFile } from "../library/hash-audio.js";
import { type Problem, problemFrom } from "../library/problems.js";
import type { ArtworkFinder } from "./artwork.js";
import { type OverrideEntry, type Overrides, overrideKeysFor } from "./overrides.js";
import { readTrack } from "./read-track.js";
import type { ScannedTrack } from "./scanned-track.js";

/** A track with its warnings, or the problems that keep the file from being one; `key` is its metadata.json entry. */
export type Described = { key?: string; problems: Problem[]; track?: ScannedTrack };

/**
 * The metadata merging of the scan: the file's tags with its metadata.json entry on top, and its artwork
 * found; never throws, a file that cannot be a track comes back with the problems that say why.
 */
export async function describe(
  item: AudioFile,
  overrides: Overrides | undefined,
  finder: ArtworkFinder,
): Promise<Described> {
  const key = overrideKey(item.file.name.text, overrides);
  try {
    return { key, ...(await describeTrack(item, key, overrides, finder)) };
  } catch (error) {
    return { key, problems: [problemFrom(error, "error", item.file.relativePath)] };
  }
}

/** The metadata.json entry a file's name matches, valid or not. */
export function overrideKey(relativePath: string, overrides: Overrides | undefined): string | undefined {
  return overrideKeysFor(relativePath).find((k) => overrides?.entries.has(k) || overrides?.invalid.has(k));
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
