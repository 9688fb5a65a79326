import { createHash } from "node:crypto";
import type { CID } from "multiformats/cid";
import { discardBlocks, importRoot } from "./import.js";
import { readFileChunks } from "./read.js";
import { type CidProfile, type ContentAddress, DEFAULT_CID_PROFILE } from "./types.js";

export interface AddressOptions {
  profile?: CidProfile;
  signal?: AbortSignal;
}

/** A ContentAddress together with the parsed root CID, for callers that need the object. */
export interface AddressResult {
  address: ContentAddress;
  root: CID;
}

/**
 * One pass over a stream: every chunk updates the whole-file SHA-256 on this thread and is handed to
 * the importer, whose leaf hashes run on the thread pool, so the two hashes use both cores.
 */
export async function addressStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  profile: CidProfile = DEFAULT_CID_PROFILE,
): Promise<AddressResult> {
  const whole = createHash("sha256");
  let size = 0;
  async function* tap() {
    for await (const chunk of source) {
      whole.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }
  const root = await importRoot([{ content: tap() }], discardBlocks, profile);
  return { address: { size, sha256: whole.digest("hex"), cid: root.toString(), profile }, root };
}

/** Size, SHA-256 and CID of a file, streamed once; never holds more than a few chunks in memory. */
export async function addressFile(path: string, options: AddressOptions = {}): Promise<ContentAddress> {
  const { address } = await addressStream(readFileChunks(path, options.signal), options.profile);
  return address;
}

export async function addressBytes(
  bytes: Uint8Array,
  options: Pick<AddressOptions, "profile"> = {},
): Promise<ContentAddress> {
  const { address } = await addressStream([bytes], options.profile);
  return address;
}
