import { type StoredObject, StoredObjectSchema } from "../providers/types.js";
import type { Row } from "./database.js";
import type { RecordOf } from "./records.js";

/** One track as the ledger knows it: a snapshot read from its rows, never a live object to mutate. */
export interface TrackState {
  sha256: string;
  file: string;
  /** The path's exact bytes (base64) when `file` does not spell them. */
  nameBytes?: string;
  size: number;
  cid: string;
  profile: RecordOf<"track">["profile"];
  mimeType: string;
  modifiedMs?: number;
  ino?: number;
  artwork?: RecordOf<"artwork">["artwork"];
  /** The playable preview of a master OpenSea cannot play, in the last format encoded. */
  preview?: RecordOf<"preview">["preview"];
  /** One entry per provider and kind. */
  stored: StoredObject[];
  metadata?: { cid: string; path: string };
  verifiedMetadataCid?: string;
  /** Token per deployment key (`chainId:contract`). */
  minted: Map<string, { tokenId: bigint; txHash?: string }>;
  /** The last failure, cleared by any later progress of the track. */
  failure?: { stage: string; error: string };
}

const text = (value: Row[string]): string | undefined => (value === null ? undefined : String(value));
const number = (value: Row[string]): number | undefined => (value === null ? undefined : Number(value));

/** A track's row with its `stored` and `minted` rows (any track's: those of others are ignored). */
export function trackFromRows(row: Row, storedRows: Row[], mintedRows: Row[]): TrackState {
  const sha256 = String(row.sha256);
  const metadataCid = text(row.metadata_cid);
  const failureStage = text(row.failure_stage);
  return {
    sha256,
    file: String(row.file),
    nameBytes: text(row.name_bytes),
    size: Number(row.size),
    cid: String(row.cid),
    profile: String(row.profile) as TrackState["profile"],
    mimeType: String(row.mime_type),
    modifiedMs: number(row.modified_ms),
    ino: number(row.ino),
    artwork: row.artwork === null ? undefined : JSON.parse(String(row.artwork)),
    preview: row.preview === null || row.preview === undefined ? undefined : JSON.parse(String(row.preview)),
    stored: storedRows
      .filter((r) => r.sha256 === sha256)
      .map((r) => StoredObjectSchema.parse(JSON.parse(String(r.object)))),
    metadata: metadataCid === undefined ? undefined : { cid: metadataCid, path: String(row.metadata_path) },
    verifiedMetadataCid: text(row.verified_metadata_cid),
    minted: new Map(
      mintedRows
        .filter((r) => r.sha256 === sha256)
        .map((r) => [String(r.deployment), { tokenId: BigInt(String(r.token_id)), txHash: text(r.tx_hash) }]),
    ),
    failure:
      failureStage === undefined ? undefined : { stage: failureStage, error: String(row.failure_error) },
  };
}
