import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { BufferImporter, BufferImporterResult } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { PROFILES } from "./profiles.js";
import { sha256Multihash } from "./sha256.js";
import type { CidProfile } from "./types.js";

/**
 * The importer's leaf step, building the same blocks and CIDs, except that each leaf is hashed and
 * handed to the blockstore as soon as its chunk arrives rather than when the importer later runs the
 * task in a batch. So a chunk is done with before the next is read, and files can be read into reused
 * buffers: the importer keeps a leaf's `block` and UnixFS `data` afterwards only to read their
 * lengths. A blockstore must therefore be done with the bytes when its `put` settles; one that keeps
 * them (CAR writing) needs chunks that are not reused.
 */
export function eagerLeafImporter(profile: CidProfile): BufferImporter {
  const { rawLeaves, cidVersion } = PROFILES[profile];
  return async function* leafImporter(file, blockstore) {
    for await (const chunk of file.content) {
      const leaf = encodeLeaf(chunk, rawLeaves, cidVersion);
      await blockstore.put(leaf.cid, leaf.block);
      yield async () => leaf;
    }
  };
}

function encodeLeaf(chunk: Uint8Array, rawLeaves: boolean, cidVersion: 0 | 1): BufferImporterResult {
  if (rawLeaves) {
    return {
      cid: CID.createV1(raw.code, sha256Multihash(chunk)),
      size: BigInt(chunk.byteLength),
      block: chunk,
    };
  }
  const unixfs = new UnixFS({ type: "file", data: chunk });
  const block = dagPb.encode({ Data: unixfs.marshal(), Links: [] });
  const digest = sha256Multihash(block);
  const cid = cidVersion === 0 ? CID.createV0(digest) : CID.createV1(dagPb.code, digest);
  return { cid, unixfs, size: BigInt(block.byteLength), block };
}
