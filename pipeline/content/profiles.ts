import type { ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { InputError } from "../errors.js";
import { type CidProfile, CidProfileSchema, DEFAULT_CID_PROFILE } from "./types.js";

/** Every setting that changes a CID, spelled out so a library upgrade cannot change ours silently. */
export interface ProfileSpec {
  cidVersion: 0 | 1;
  /** Leaves are bare `raw` blocks (true) or UnixFS `file` nodes wrapped in dag-pb (false). */
  rawLeaves: boolean;
  chunkSize: number;
  maxChildrenPerNode: number;
  /** How a directory decides to become a HAMT shard (only for CARs of several files). */
  shardSplitStrategy: "links-bytes" | "block-bytes";
}

export const PROFILES: Readonly<Record<CidProfile, Readonly<ProfileSpec>>> = {
  // IPIP-499 `unixfs-v1-2025`: ipfs-car, Helia, Storacha and Kubo's new profile.
  "unixfs-v1-2025": {
    cidVersion: 1,
    rawLeaves: true,
    chunkSize: 1024 * 1024,
    maxChildrenPerNode: 1024,
    shardSplitStrategy: "block-bytes",
  },
  // Kubo's classic `ipfs add` defaults (IPIP-499 `unixfs-v0-2015`).
  "kubo-v0": {
    cidVersion: 0,
    rawLeaves: false,
    chunkSize: 256 * 1024,
    maxChildrenPerNode: 174,
    shardSplitStrategy: "links-bytes",
  },
};

/**
 * The ipfs-unixfs-importer options of a profile, so that anything importing bytes (Helia's
 * `unixfs.addFile`, our addressing, our CARs) builds the very same DAG. A fresh object each call:
 * the importer mutates the options it is given.
 */
export function importerOptions(profile: CidProfile = DEFAULT_CID_PROFILE): ImporterOptions {
  const spec = PROFILES[profile];
  return {
    cidVersion: spec.cidVersion,
    rawLeaves: spec.rawLeaves,
    leafType: "file",
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: spec.chunkSize }),
    layout: balanced({ maxChildrenPerNode: spec.maxChildrenPerNode }),
    shardSplitStrategy: spec.shardSplitStrategy,
    shardSplitThresholdBytes: 262_144,
    fieldOrder: "links-first",
    wrapWithDirectory: false,
  };
}

/** Reads a profile name from user input (a CLI flag, a config value). */
export function parseCidProfile(value: string, where: { file?: string; field?: string } = {}): CidProfile {
  const parsed = CidProfileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InputError("CID_PROFILE", `unknown CID profile "${value}"`, {
    ...where,
    hint: `use one of: ${CidProfileSchema.options.join(", ")}`,
  });
}
