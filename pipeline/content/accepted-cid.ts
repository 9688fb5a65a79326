import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { IntegrityError } from "../errors.js";
import { SHA256_CODE } from "./sha256.js";
import type { CidProfile } from "./types.js";

/** What a CID we accept says about how to recompute it. */
export interface AcceptedCid {
  cid: CID;
  /** `raw`: one block, its digest is the SHA-256 of all the bytes; `dag-pb`: a UnixFS DAG. */
  codec: "raw" | "dag-pb";
  /** The import profile that produces CIDs of this shape. */
  profile: CidProfile;
}

/**
 * Parses a CID and checks it is one we can verify: CIDv0, or CIDv1 with the `raw` or `dag-pb`
 * codec, hashed with sha2-256. Anything else cannot be recomputed here, so it is an integrity failure
 * rather than something to trust.
 */
export function acceptCid(value: string | CID, file?: string): AcceptedCid {
  const cid = parseCid(value, file);
  const fail = (what: string) =>
    new IntegrityError("CID_UNSUPPORTED", `CID ${cid} uses ${what}`, {
      file,
      field: "cid",
      hint: "only CIDv0 and CIDv1 raw/dag-pb with sha2-256 are produced and verified by DCMX",
    });
  if (cid.multihash.code !== SHA256_CODE || cid.multihash.size !== 32) {
    throw fail(`hash function 0x${cid.multihash.code.toString(16)}, not sha2-256`);
  }
  if (cid.version === 0) return { cid, codec: "dag-pb", profile: "kubo-v0" };
  if (cid.version !== 1) throw fail(`unsupported CID version ${cid.version}`);
  if (cid.code === raw.code) return { cid, codec: "raw", profile: "unixfs-v1-2025" };
  if (cid.code === dagPb.code) return { cid, codec: "dag-pb", profile: "unixfs-v1-2025" };
  throw fail(`codec 0x${cid.code.toString(16)}, not raw or dag-pb`);
}

function parseCid(value: string | CID, file?: string): CID {
  if (typeof value !== "string") {
    const cid = CID.asCID(value);
    if (cid === null) throw notACid(String(value), file);
    return cid;
  }
  try {
    return CID.parse(value);
  } catch (error) {
    throw notACid(value, file, error);
  }
}

function notACid(value: string, file?: string, cause?: unknown): IntegrityError {
  return new IntegrityError("CID_INVALID", `"${value}" is not a CID`, { file, field: "cid", cause });
}
