import { extname, resolve } from "node:path";
import { acceptCid } from "../../content/accepted-cid.js";
import type { ContentAddress } from "../../content/types.js";
import type { Ledger, TrackState } from "../../ledger/ledger.js";
import { artworkExtension } from "../../metadata/image-check.js";
import type { ObjectKind, StoredObject } from "../../providers/types.js";

/** One object of the release as the ledger knows it: what it is, where it lives, who references it. */
export interface KnownObject {
  kind: ObjectKind;
  address: ContentAddress;
  mimeType: string;
  extension: string;
  /** The local copy it was made from (library file, artwork image, metadata document), if it still exists. */
  localPath?: string;
  /** Tracks (by audio SHA-256) whose ledger entries reference it: an album's cover is shared. */
  tracks: string[];
  /** Where the ledger records it, one entry per provider. */
  holders: StoredObject[];
  /** Names the object in progress lines and errors. */
  label: string;
}

/** Tracks whose objects are gathered at once: a few thousand objects, whatever the catalog's size. */
export const TRACKS_PER_BATCH = 256;

/**
 * Every object the ledger records as stored somewhere, current versions only: a track's audio, its artwork
 * and its metadata document as they are now (a rebuilt document's old CID or a replaced cover is not part
 * of the release any more). The catalog comes `tracksPerBatch` tracks at a time, each batch's objects once
 * per kind and SHA-256: memory follows the batch, not the catalog. An object shared by tracks of different
 * batches (an album's cover) comes once in each; the destination's own check finds the earlier copy.
 * Library paths are resolved against `library` because the ledger names tracks relative to it.
 */
export async function* knownObjectBatches(
  ledger: Pick<Ledger, "tracks">,
  library: string,
  tracksPerBatch = TRACKS_PER_BATCH,
): AsyncGenerator<KnownObject[]> {
  let objects = new Map<string, KnownObject>();
  let tracks = 0;
  for await (const track of ledger.tracks()) {
    addObjectsOf(track, library, objects);
    if (++tracks % tracksPerBatch === 0) {
      yield [...objects.values()];
      objects = new Map();
    }
  }
  if (objects.size > 0) yield [...objects.values()];
}

/** How many objects `knownObjectBatches` hands over: the progress bar's total, counted without keeping them. */
export async function countKnownObjects(ledger: Pick<Ledger, "tracks">, library: string): Promise<number> {
  let count = 0;
  for await (const batch of knownObjectBatches(ledger, library)) count += batch.length;
  return count;
}

/** Adds the track's current stored objects to `objects`, by kind and SHA-256, with the track as a referrer. */
function addObjectsOf(track: TrackState, library: string, objects: Map<string, KnownObject>): void {
  for (const stored of track.stored) {
    const facts = describe(track, stored, library);
    if (facts === undefined) continue;
    const key = `${stored.kind}:${stored.sha256}`;
    const known = objects.get(key) ?? {
      ...facts,
      kind: stored.kind,
      address: {
        size: stored.size,
        sha256: stored.sha256,
        cid: stored.cid,
        profile: acceptCid(stored.cid, facts.label).profile,
      },
      tracks: [],
      holders: [],
    };
    if (!known.tracks.includes(track.sha256)) known.tracks.push(track.sha256);
    if (!known.holders.some((h) => h.provider === stored.provider)) known.holders.push(stored);
    objects.set(key, known);
  }
}

type Facts = Pick<KnownObject, "mimeType" | "extension" | "localPath" | "label">;

/** The object's type, name and local copy, or undefined when `stored` is not the track's current version. */
function describe(track: TrackState, stored: StoredObject, library: string): Facts | undefined {
  switch (stored.kind) {
    case "audio":
      if (stored.sha256 !== track.sha256) return undefined;
      return {
        mimeType: track.mimeType,
        extension: extname(track.file),
        localPath: resolve(library, track.file),
        label: track.file,
      };
    case "preview": {
      const preview = track.preview;
      if (preview === undefined || stored.sha256 !== preview.sha256) return undefined;
      return {
        mimeType: preview.mimeType,
        extension: preview.extension,
        localPath: preview.path,
        label: `${track.file} (preview)`,
      };
    }
    case "artwork": {
      const art = track.artwork;
      if (art === undefined || stored.sha256 !== art.sha256) return undefined;
      return {
        mimeType: art.mimeType,
        extension: artworkExtension(art.mimeType) ?? extname(stored.locator),
        localPath: art.path,
        label: `${track.file} (artwork)`,
      };
    }
    case "metadata":
      if (track.metadata === undefined || stored.cid !== track.metadata.cid) return undefined;
      return {
        mimeType: "application/json",
        extension: ".json",
        localPath: track.metadata.path,
        label: `${track.file} (metadata)`,
      };
  }
}
