import { createHash } from "node:crypto";
import type { CID } from "multiformats/cid";
import type { FilePath } from "../util/file-name.js";
import { discardBlocks, importRoot } from "./import.js";
import { consumeFile } from "./read.js";
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
 * One pass over a stream: every chunk updates the whole-file SHA-256 and feeds the importer, both on
 * this thread (for in-memory and small inputs; files take `addressFile`'s two-thread path).
 */
export async function addressStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  profile: CidProfile = DEFAULT_CID_PROFILE,
): Promise<AddressResult> {
  const whole = createHash("sha256");
  async function* tap() {
    for await (const chunk of source) {
      whole.update(chunk);
      yield chunk;
    }
  }
  return addressPieces(tap(), profile, async () => whole.digest("hex"));
}

/**
 * A file in one pass on two threads: a worker hashes the whole file while this thread builds the
 * UnixFS DAG (whose leaf hashes are the other half of the work), over shared, reused read buffers.
 */
export async function addressFileWithRoot(
  path: FilePath,
  profile: CidProfile = DEFAULT_CID_PROFILE,
  signal?: AbortSignal,
): Promise<AddressResult> {
  return consumeFile(path, { sha256: true, signal }, (file) =>
    addressPieces(file.pieces, profile, file.sha256),
  );
}

/** Size, SHA-256 and CID of a file, streamed once; holds three 1 MiB buffers whatever its size. */
export async function addressFile(path: FilePath, options: AddressOptions = {}): Promise<ContentAddress> {
  return (await addressFileWithRoot(path, options.profile, options.signal)).address;
}

export async function addressBytes(
  bytes: Uint8Array,
  options: Pick<AddressOptions, "profile"> = {},
): Promise<ContentAddress> {
  const { address } = await addressStream([bytes], options.profile);
  return address;
}

async function addressPieces(
  pieces: AsyncIterable<Uint8Array>,
  profile: CidProfile,
  sha256: () => Promise<string>,
): Promise<AddressResult> {
  let size = 0;
  async function* counted() {
    for await (const piece of pieces) {
      size += piece.byteLength;
      yield piece;
    }
  }
  const root = await importRoot([{ content: counted() }], discardBlocks, profile);
  return { address: { size, sha256: await sha256(), cid: root.toString(), profile }, root };
}
