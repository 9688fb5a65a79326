import {
  type ImportCandidate,
  type ImporterOptions,
  importer,
  type WritableStorage,
} from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { eagerLeafImporter } from "./leaf-importer.js";
import { importerOptions } from "./profiles.js";
import type { CidProfile } from "./types.js";

/** Reads are this size: a multiple of every profile's chunk size, so the chunker never copies. */
export const READ_SIZE = 1024 * 1024;

/** A blockstore that keeps nothing: addressing only needs the CIDs. */
export const discardBlocks: WritableStorage = { put: async (cid) => cid };

/**
 * Runs the UnixFS importer under a profile and returns the root CID (the last entry it yields:
 * the file itself, or the wrapping directory).
 */
export async function importRoot(
  candidates: Iterable<ImportCandidate> | AsyncIterable<ImportCandidate>,
  blockstore: WritableStorage,
  profile: CidProfile,
  overrides: Pick<ImporterOptions, "wrapWithDirectory"> = {},
): Promise<CID> {
  const options = {
    ...importerOptions(profile),
    ...overrides,
    bufferImporter: eagerLeafImporter(profile),
  };
  let root: CID | undefined;
  for await (const entry of importer(candidates, blockstore, options)) root = entry.cid;
  if (root === undefined) throw new Error("the UnixFS importer yielded no entry");
  return root;
}
