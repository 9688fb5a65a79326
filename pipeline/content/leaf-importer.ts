import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { BufferImporter, BufferImporterResult } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { PROFILES } from "./profiles.js";
import { sha256MultihashOffThread } from "./sha256.js";
import type { CidProfile } from "./types.js";

/**
 * The importer's leaf step with two changes that only affect speed, never the blocks or CIDs:
 * leaves are hashed on the thread pool, and each hash starts as soon as its chunk is read. The
 * importer runs leaf tasks in batches and waits for a whole batch, so starting work only when a
 * task is called would leave the second core idle while the first reads and hashes the file.
 */
export function offThreadLeafImporter(profile: CidProfile): BufferImporter {
  const { rawLeaves, cidVersion } = PROFILES[profile];
  return async function* leafImporter(file, blockstore) {
    for await (const chunk of file.content) {
      const pending = encodeLeaf(chunk, rawLeaves, cidVersion).then(async (leaf) => {
        await blockstore.put(leaf.cid, leaf.block);
        return leaf;
      });
      // The importer awaits it with the rest of its batch; this only stops an unhandled rejection
      // being reported when an earlier task of the batch failed first.
      pending.catch(() => {});
      yield () => pending;
    }
  };
}

async function encodeLeaf(
  chunk: Uint8Array,
  rawLeaves: boolean,
  cidVersion: 0 | 1,
): Promise<BufferImporterResult> {
  if (rawLeaves) {
    const cid = CID.createV1(raw.code, await sha256MultihashOffThread(chunk));
    return { cid, size: BigInt(chunk.byteLength), block: chunk };
  }
  const unixfs = new UnixFS({ type: "file", data: chunk });
  const block = dagPb.encode({ Data: unixfs.marshal(), Links: [] });
  const digest = await sha256MultihashOffThread(block);
  const cid = cidVersion === 0 ? CID.createV0(digest) : CID.createV1(dagPb.code, digest);
  return { cid, unixfs, size: BigInt(block.byteLength), block };
}
