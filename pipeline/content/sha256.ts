import { createHash } from "node:crypto";
import * as Digest from "multiformats/hashes/digest";
import { sha256 as sha256Hasher } from "multiformats/hashes/sha2";

export const SHA256_CODE = sha256Hasher.code;
export type Sha256Digest = Digest.Digest<typeof SHA256_CODE, number>;

/** The sha2-256 multihash of a block (a leaf, a DAG node, metadata JSON). */
export function sha256Multihash(bytes: Uint8Array): Sha256Digest {
  return Digest.create(SHA256_CODE, createHash("sha256").update(bytes).digest());
}
