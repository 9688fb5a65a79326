/**
 * The ledger's tables, one definition for SQLite and PostgreSQL. A track is its SHA-256; what happened to
 * it lives in rows keyed by it, so a record about a track is one small upsert and a read of one track
 * touches three indexed lookups, however large the catalog.
 */
export const SCHEMA_VERSION = "1";

export const SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // One row per distinct audio content. `name_key` is the file's name as the ledger keys it (its exact
  // bytes when they are not the readable name), so an unchanged file is found again without reading it.
  `CREATE TABLE IF NOT EXISTS tracks (
    sha256 TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name_bytes TEXT,
    size BIGINT NOT NULL,
    cid TEXT NOT NULL,
    profile TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    modified_ms DOUBLE PRECISION,
    ino DOUBLE PRECISION,
    artwork TEXT,
    preview TEXT,
    metadata_cid TEXT,
    metadata_path TEXT,
    verified_metadata_cid TEXT,
    failure_stage TEXT,
    failure_error TEXT
  )`,
  `CREATE INDEX IF NOT EXISTS tracks_by_name ON tracks (name_key)`,
  // A copy a provider holds. Not tied to a track row: objects stored outside a track (the manager API's
  // `store_file`) are remembered too.
  `CREATE TABLE IF NOT EXISTS stored (
    sha256 TEXT NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    PRIMARY KEY (sha256, provider, kind)
  )`,
  `CREATE TABLE IF NOT EXISTS deployments (chain_id BIGINT PRIMARY KEY, contract TEXT NOT NULL, tx_hash TEXT)`,
  `CREATE TABLE IF NOT EXISTS minted (
    deployment TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    token_id TEXT NOT NULL,
    tx_hash TEXT,
    PRIMARY KEY (deployment, sha256)
  )`,
  // A track's read asks for its tokens on every deployment: the key above, deployment first, cannot answer
  // that, and scanning the table for each track made a catalog's run and re-run grow with its square.
  `CREATE INDEX IF NOT EXISTS minted_by_track ON minted (sha256)`,
  // One run's outcome per library file, until the next run of the same work directory starts.
  `CREATE TABLE IF NOT EXISTS outcomes (
    run TEXT NOT NULL,
    file TEXT NOT NULL,
    ord BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    degraded TEXT NOT NULL,
    duplicate_of TEXT,
    PRIMARY KEY (run, file)
  )`,
  `CREATE INDEX IF NOT EXISTS outcomes_in_order ON outcomes (run, ord)`,
  // The tokenURI a marketplace was last seen showing for a token, per deployment.
  `CREATE TABLE IF NOT EXISTS marketplace_synced (
    deployment TEXT NOT NULL,
    marketplace TEXT NOT NULL,
    token_id TEXT NOT NULL,
    token_uri TEXT NOT NULL,
    PRIMARY KEY (deployment, marketplace, token_id)
  )`,
  `CREATE TABLE IF NOT EXISTS pending_mints (
    tx_hash TEXT PRIMARY KEY,
    deployment TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    contract TEXT NOT NULL,
    sha256s TEXT NOT NULL
  )`,
  // Tracks stored and verified, waiting for their mint on a deployment: whichever worker holds the
  // signer's lease mints them, so a track made ready by a worker that died is still minted.
  `CREATE TABLE IF NOT EXISTS mint_queue (
    deployment TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    metadata_cid TEXT NOT NULL,
    PRIMARY KEY (deployment, sha256)
  )`,
  `CREATE INDEX IF NOT EXISTS mint_queue_by_track ON mint_queue (sha256)`,
  // Work a worker is doing (a library file), until the worker is done with it or stops renewing it.
  `CREATE TABLE IF NOT EXISTS claims (
    item TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_ms DOUBLE PRECISION NOT NULL
  )`,
  // A role one worker at a time may have (minting with one signer); the epoch grows with each new holder.
  `CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_ms DOUBLE PRECISION NOT NULL
  )`,
];
