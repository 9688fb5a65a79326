import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressBytes } from "../../pipeline/content/address.js";
import type { ContentAddress } from "../../pipeline/content/types.js";
import type { PutRequest } from "../../pipeline/providers/types.js";

/** Deterministic bytes that span several 1 MiB chunks, so the DAG has a root over many leaves. */
export function sampleBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

export interface SampleTrack {
  path: string;
  bytes: Uint8Array;
  address: ContentAddress;
  request: PutRequest;
}

/** A sample "track" on disk with its precomputed address, ready to `put`. */
export async function sampleTrack(directory: string, size: number, seed = 1): Promise<SampleTrack> {
  const bytes = sampleBytes(size, seed);
  const path = join(directory, `track-${seed}.mp3`);
  await writeFile(path, bytes);
  const address = await addressBytes(bytes);
  return {
    path,
    bytes,
    address,
    request: { kind: "audio", source: { path }, address, mimeType: "audio/mpeg", extension: ".mp3" },
  };
}

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "dcmx-ipfs-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
