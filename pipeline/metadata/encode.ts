import { metadataCid } from "../content/metadata-cid.js";
import { canonicalJsonBytes } from "./canonical-json.js";

export interface EncodedMetadata {
  /** Canonical JSON bytes: what is pinned, and what the CID is of. */
  bytes: Uint8Array;
  /** CIDv1, raw codec, sha2-256 of `bytes`. */
  cid: string;
}

/** Any metadata document (token or collection) as the exact bytes to publish and their CID. */
export function encodeMetadata(document: object): EncodedMetadata {
  const bytes = canonicalJsonBytes(document);
  return { bytes, cid: metadataCid(bytes).toString() };
}
