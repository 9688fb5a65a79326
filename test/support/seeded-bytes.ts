import { createCipheriv, createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Pieces of this size are generated at a time, so any length streams in constant memory. */
const PIECE = 1024 * 1024;

/**
 * Deterministic pseudo-random bytes: the AES-256-CTR keystream of a key derived from `seed`. The
 * same seed gives the same bytes on every machine and Node version, and it runs at several GB/s,
 * so benchmarks and fixtures can make gigabytes without storing them.
 */
export async function* seededChunks(seed: string | number, length: number): AsyncGenerator<Uint8Array> {
  const key = createHash("sha256").update(`dcmx-seed:${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  // No bigger than needed: a catalog of tiny tracks would zero a whole piece per file.
  const zeros = Buffer.alloc(Math.min(PIECE, length));
  for (let left = length; left > 0; left -= PIECE) {
    yield cipher.update(left >= PIECE ? zeros : zeros.subarray(0, left));
  }
}

/** A small seeded buffer, for tests that need the bytes in memory. */
export async function seededBytes(seed: string | number, length: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of seededChunks(seed, length)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Writes `length` seeded bytes to `path`, streaming. */
export async function writeSeededFile(path: string, seed: string | number, length: number): Promise<void> {
  await pipeline(Readable.from(seededChunks(seed, length)), createWriteStream(path));
}
