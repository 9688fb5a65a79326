import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { type Hex, toHex } from "viem";
import { IntegrityError } from "../errors.js";
import { SHA256_CODE, sha256Multihash } from "./sha256.js";

/**
 * The CID of a metadata JSON document: one `raw` block, CIDv1, sha2-256. For documents up to 1 MiB
 * this is also what `unixfs-v1-2025` gives, so any IPFS provider reports the same CID.
 */
export function metadataCid(bytes: Uint8Array): CID {
  return CID.createV1(raw.code, sha256Multihash(bytes));
}

/** The 32-byte sha2-256 digest inside a CID, as the contract's bytes32. */
export function metadataDigest(cid: CID | string): Hex {
  const parsed = typeof cid === "string" ? CID.parse(cid) : cid;
  if (parsed.multihash.code !== SHA256_CODE || parsed.multihash.size !== 32) {
    throw new IntegrityError("CID_UNSUPPORTED", `CID ${parsed} does not carry a 32-byte sha2-256 digest`, {
      hint: "metadata CIDs must come from metadataCid()",
    });
  }
  return toHex(parsed.multihash.digest);
}
