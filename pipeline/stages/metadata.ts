import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { addressBytes } from "../content/address.js";
import type { ContentAddress } from "../content/types.js";
import { encodeMetadata } from "../metadata/encode.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import { buildTrackMetadata, type TrackLocations } from "../metadata/track-metadata.js";

export interface BuiltMetadata {
  cid: string;
  path: string;
  bytes: Uint8Array;
  address: ContentAddress;
}

/**
 * Builds the track's ERC-721 metadata from where its bytes now live, writes the exact bytes to the work
 * directory (named by CID, so a re-run that builds the same document writes nothing new).
 */
export async function buildMetadata(
  track: ScannedTrack,
  locations: TrackLocations,
  workDir: string,
): Promise<BuiltMetadata> {
  const { bytes, cid } = encodeMetadata(buildTrackMetadata(track, locations));
  const path = metadataPath(workDir, cid);
  await mkdir(dirname(path), { recursive: true });
  const onDisk = await readFile(path).catch(() => undefined);
  if (onDisk === undefined || !Buffer.from(bytes).equals(onDisk)) {
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, path);
  }
  return { cid, path, bytes, address: await metadataAddress(bytes, cid) };
}

/** Where the exact bytes of a metadata document are kept, named by CID. */
export const metadataPath = (workDir: string, cid: string): string =>
  join(workDir, "metadata", `${cid}.json`);

/** The metadata is one raw block, so its CID is the raw-codec CID, not the UnixFS one of its profile. */
export async function metadataAddress(bytes: Uint8Array, cid: string): Promise<ContentAddress> {
  return { ...(await addressBytes(bytes)), cid };
}
