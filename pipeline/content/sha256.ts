import { createHash, subtle } from "node:crypto";
import * as Digest from "multiformats/hashes/digest";
import { sha256 as sha256Hasher } from "multiformats/hashes/sha2";

export const SHA256_CODE = sha256Hasher.code;
export type Sha256Digest = Digest.Digest<typeof SHA256_CODE, number>;

/** Synchronous multihash, for small single blocks (metadata JSON, DAG nodes). */
export function sha256Multihash(bytes: Uint8Array): Sha256Digest {
  return Digest.create(SHA256_CODE, createHash("sha256").update(bytes).digest());
}

/**
 * Multihash computed on libuv's thread pool (WebCrypto runs digests there), so hashing a 1 MiB
 * chunk does not stall the thread that is hashing the whole file.
 */
export async function sha256MultihashOffThread(bytes: Uint8Array): Promise<Sha256Digest> {
  return Digest.create(SHA256_CODE, new Uint8Array(await subtle.digest("SHA-256", bytes)));
}
