import { nameKey } from "../util/file-name.js";
import type { Statement } from "./database.js";
import { type Deployment, deploymentKey, type JournalRecord, type RecordOf } from "./records.js";

/** Any later progress of a track clears the failure an earlier attempt left. */
const CLEAR_FAILURE = "failure_stage = NULL, failure_error = NULL";

/**
 * How each record changes the ledger: the one table of the ledger's rules. Every record becomes
 * statements that run in the transaction that makes it durable; replaying a record is harmless (each
 * statement is an upsert or sets a value), so a record written twice by a crash-and-retry changes nothing.
 */
const APPLY: { [T in JournalRecord["type"]]: (record: RecordOf<T>) => Statement[] } = {
  track: (r) => [
    {
      sql: `INSERT INTO tracks (sha256, file, name_key, name_bytes, size, cid, profile, mime_type, modified_ms, ino)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (sha256) DO UPDATE SET file = excluded.file, name_key = excluded.name_key,
              name_bytes = excluded.name_bytes, size = excluded.size, cid = excluded.cid,
              profile = excluded.profile, mime_type = excluded.mime_type,
              modified_ms = excluded.modified_ms, ino = excluded.ino`,
      params: [
        r.sha256,
        r.file,
        nameKey(r),
        r.nameBytes ?? null,
        r.size,
        r.cid,
        r.profile,
        r.mimeType,
        r.modifiedMs ?? null,
        r.ino ?? null,
      ],
    },
  ],
  artwork: (r) => [
    {
      sql: `UPDATE tracks SET artwork = ?, ${CLEAR_FAILURE} WHERE sha256 = ?`,
      params: [JSON.stringify(r.artwork), r.sha256],
    },
  ],
  preview: (r) => [
    {
      sql: `UPDATE tracks SET preview = ?, ${CLEAR_FAILURE} WHERE sha256 = ?`,
      params: [JSON.stringify(r.preview), r.sha256],
    },
  ],
  stored: (r) => [
    {
      sql: `INSERT INTO stored (sha256, provider, kind, object) VALUES (?, ?, ?, ?)
            ON CONFLICT (sha256, provider, kind) DO UPDATE SET object = excluded.object`,
      params: [r.sha256, r.object.provider, r.object.kind, JSON.stringify(r.object)],
    },
    { sql: `UPDATE tracks SET ${CLEAR_FAILURE} WHERE sha256 = ?`, params: [r.sha256] },
  ],
  metadata: (r) => [
    {
      // Metadata built anew (another CID) must be verified anew.
      sql: `UPDATE tracks SET metadata_cid = ?, metadata_path = ?,
              verified_metadata_cid = CASE WHEN verified_metadata_cid = ? THEN verified_metadata_cid ELSE NULL END,
              ${CLEAR_FAILURE}
            WHERE sha256 = ?`,
      params: [r.cid, r.path, r.cid, r.sha256],
    },
  ],
  verified: (r) => [
    {
      sql: `UPDATE tracks SET verified_metadata_cid = ?, ${CLEAR_FAILURE} WHERE sha256 = ?`,
      params: [r.metadataCid, r.sha256],
    },
  ],
  failed: (r) => [
    {
      sql: "UPDATE tracks SET failure_stage = ?, failure_error = ? WHERE sha256 = ?",
      params: [r.stage, r.error, r.sha256],
    },
    // A failed track is minted by no one until a run makes it ready again.
    { sql: "DELETE FROM mint_queue WHERE sha256 = ?", params: [r.sha256] },
  ],
  deployed: (r) => {
    // A deployment record means a fresh contract: nothing is minted on it yet, even at an address an
    // earlier contract had (a reset chain deploys to the same address again).
    const key = deploymentKey(r.deployment);
    return [
      { sql: "DELETE FROM minted WHERE deployment = ?", params: [key] },
      { sql: "DELETE FROM pending_mints WHERE deployment = ?", params: [key] },
      { sql: "DELETE FROM marketplace_synced WHERE deployment = ?", params: [key] },
      {
        sql: `INSERT INTO deployments (chain_id, contract, tx_hash) VALUES (?, ?, ?)
              ON CONFLICT (chain_id) DO UPDATE SET contract = excluded.contract, tx_hash = excluded.tx_hash`,
        params: [r.deployment.chainId, r.deployment.contract, r.txHash ?? null],
      },
    ];
  },
  "mint-sent": (r) => [
    {
      sql: `INSERT INTO pending_mints (tx_hash, deployment, chain_id, contract, sha256s) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tx_hash) DO NOTHING`,
      params: [...deploymentParams(r.txHash, r.deployment), JSON.stringify(r.sha256s)],
    },
  ],
  "marketplace-synced": (r) => [
    {
      sql: `INSERT INTO marketplace_synced (deployment, marketplace, token_id, token_uri) VALUES (?, ?, ?, ?)
            ON CONFLICT (deployment, marketplace, token_id) DO UPDATE SET token_uri = excluded.token_uri`,
      params: [deploymentKey(r.deployment), r.marketplace, r.tokenId, r.tokenURI],
    },
  ],
  "run-started": (r) => [{ sql: "DELETE FROM outcomes WHERE run = ?", params: [r.run] }],
  outcome: (r) => [
    {
      sql: `INSERT INTO outcomes (run, file, ord, sha256, status, error, degraded, duplicate_of)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run, file) DO UPDATE SET ord = excluded.ord, sha256 = excluded.sha256,
              status = excluded.status, error = excluded.error, degraded = excluded.degraded,
              duplicate_of = excluded.duplicate_of`,
      params: [
        r.run,
        r.file,
        r.order,
        r.sha256,
        r.status,
        r.error ?? null,
        JSON.stringify(r.degraded),
        r.duplicateOf ?? null,
      ],
    },
  ],
  "mint-ready": (r) => [
    {
      sql: `INSERT INTO mint_queue (deployment, sha256, metadata_cid) VALUES (?, ?, ?)
            ON CONFLICT (deployment, sha256) DO UPDATE SET metadata_cid = excluded.metadata_cid`,
      params: [deploymentKey(r.deployment), r.sha256, r.metadataCid],
    },
  ],
  "mint-settled": (r) => [{ sql: "DELETE FROM pending_mints WHERE tx_hash = ?", params: [r.txHash] }],
  minted: (r) => [
    {
      sql: `INSERT INTO minted (deployment, sha256, token_id, tx_hash) VALUES (?, ?, ?, ?)
            ON CONFLICT (deployment, sha256) DO UPDATE SET token_id = excluded.token_id, tx_hash = excluded.tx_hash`,
      params: [deploymentKey(r.deployment), r.sha256, r.tokenId, r.txHash ?? null],
    },
    { sql: `UPDATE tracks SET ${CLEAR_FAILURE} WHERE sha256 = ?`, params: [r.sha256] },
    {
      sql: "DELETE FROM mint_queue WHERE deployment = ? AND sha256 = ?",
      params: [deploymentKey(r.deployment), r.sha256],
    },
  ],
};

function deploymentParams(txHash: string, deployment: Deployment): [string, string, number, string] {
  return [txHash, deploymentKey(deployment), deployment.chainId, deployment.contract];
}

export function statementsFor(record: JournalRecord): Statement[] {
  return (APPLY[record.type] as (r: JournalRecord) => Statement[])(record);
}
