import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { bytesToHex, type Hex } from "viem";

/** A track as `DCMXTracks` takes it, plus the metadata CID its tokenURI must point to. */
export interface TrackFixture {
  contentHash: Hex;
  metadataDigest: Hex;
  metadataCid: CID;
}

const utf8 = new TextEncoder();

/**
 * Deterministic fake track `n`: the SHA-256 of fake audio bytes, and the raw-codec CIDv1 of a metadata JSON
 * computed by `multiformats` exactly as the pipeline pins it.
 */
export async function makeTrack(n: number, salt = "dcmx"): Promise<TrackFixture> {
  const audio = await sha256.digest(utf8.encode(`${salt} audio ${n}`));
  const metadataCid = CID.create(
    1,
    raw.code,
    await sha256.digest(utf8.encode(JSON.stringify({ name: `Track ${n}`, salt }))),
  );
  return {
    contentHash: bytesToHex(audio.digest),
    metadataDigest: bytesToHex(metadataCid.multihash.digest),
    metadataCid,
  };
}

/** Tracks `from .. from + count - 1`. */
export function makeTracks(count: number, from = 1, salt = "dcmx"): Promise<TrackFixture[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => makeTrack(from + i, salt)));
}

/** The `Track` struct argument alone (viem rejects unknown fields). */
export const asArg = ({ contentHash, metadataDigest }: TrackFixture) => ({ contentHash, metadataDigest });
