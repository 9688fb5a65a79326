// Longer than 300 lines because it is the one owner of the track state: every read a run, a worker or a command
// makes of it is a method here, beside the group commit that writes it, so no caller writes SQL of its own.
import { join } from "node:path";
import type { PipelineConfig } from "../config/pipeline-config.js";
import { prepareWorkDir } from "../config/work-dir.js";
import type { ContentAddress } from "../content/types.js";
import type { FileIdentity } from "../library/hash-audio.js";
import { StoredObjectSchema } from "../providers/types.js";
import { nameKey } from "../util/file-name.js";
import { redact } from "../util/secrets.js";
import { statementsFor } from "./apply.js";
import type { LedgerDatabase, Row, Statement } from "./database.js";
import { importJournal } from "./import-journal.js";
import { Leases } from "./leases.js";
import { acquireLock } from "./lock.js";
import { openPostgres } from "./postgres.js";
import {
  type Deployment,
  deploymentKey,
  type JournalRecord,
  JournalRecordSchema,
  type RecordOf,
} from "./records.js";
import { SCHEMA, SCHEMA_VERSION } from "./schema.js";
import { openSqlite } from "./sqlite.js";
import { type TrackState, trackFromRows } from "./track-state.js";

export type { TrackState } from "./track-state.js";

export interface PendingMint {
  deployment: Deployment;
  txHash: `0x${string}`;
  sha256s: string[];
}

export interface LedgerOptions {
  workDir: string;
  /** PostgreSQL, shared by workers (DCMX_DATABASE_URL); omitted: SQLite in the work directory. */
  databaseUrl?: string;
}

const SQLITE_FILE = "ledger.sqlite";
const LOCK_FILE = "journal.lock";
const OLD_JOURNAL = "journal.jsonl";
/** Records one commit takes at most: a burst of finished tracks is a few commits, not thousands. */
const MAX_BATCH = 256;
/** Tracks read from the database at once when streaming the catalog. */
const PAGE = 500;
/** A library file the ledger knows, with the same size, mtime, inode and CID profile as when it was hashed. */
const UNCHANGED_FILE = "name_key = ? AND size = ? AND modified_ms = ? AND ino = ? AND profile = ?";
const unchangedFile = (file: FileIdentity) => [
  nameKey(file),
  file.size,
  file.mtimeMs,
  file.ino,
  file.profile,
];

/**
 * The one owner of every track's state and of the run's own records (deployments, pending mint
 * transactions). Stages never write it: they return results, and the runner records them here. A record
 * resolves once its transaction is durable, and records made at the same moment share one commit (group
 * commit), as the journal's fsynced appends did. Nothing about the catalog is held in memory: every read
 * is a query, so memory stays the same for one album or a million tracks.
 */
export class Ledger {
  readonly #db: LedgerDatabase;
  readonly #unlock: () => Promise<void>;
  /** Claims and leases of workers sharing this ledger. */
  readonly leases: Leases;
  #queue: Array<{ statements: Statement[]; done: (error?: unknown) => void }> = [];
  #flushing: Promise<void> | undefined;

  private constructor(db: LedgerDatabase, unlock: () => Promise<void>) {
    this.#db = db;
    this.#unlock = unlock;
    this.leases = new Leases(db);
  }

  /** "sqlite" or "postgres". */
  get kind(): LedgerDatabase["kind"] {
    return this.#db.kind;
  }

  /** Where the ledger lives, for messages (no credentials). */
  get location(): string {
    return this.#db.location;
  }

  /**
   * Opens the work directory's ledger (locking the directory: one process per work directory), creates
   * its tables, and imports an old journal found there.
   */
  static async open(options: LedgerOptions): Promise<Ledger> {
    // The ledger is the first thing a run opens: an unusable work directory is named here, as DCMX_WORKDIR.
    await prepareWorkDir(options.workDir);
    const unlock = await acquireLock(join(options.workDir, LOCK_FILE));
    let db: LedgerDatabase | undefined;
    try {
      db =
        options.databaseUrl === undefined
          ? openSqlite(join(options.workDir, SQLITE_FILE))
          : await openPostgres(options.databaseUrl);
      await createSchema(db);
      const ledger = new Ledger(db, unlock);
      await importJournal(join(options.workDir, OLD_JOURNAL), (records) =>
        db!.transaction(records.flatMap((r) => statementsFor(r))),
      );
      return ledger;
    } catch (error) {
      await db?.close();
      await unlock();
      throw error;
    }
  }

  /** Records a fact durably; resolves once it is committed. */
  async record(record: JournalRecord): Promise<void> {
    const parsed = JournalRecordSchema.parse(JSON.parse(redact(JSON.stringify(record))));
    const statements = statementsFor(parsed);
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ statements, done: (error) => (error ? reject(error) : resolve()) });
      // Records made in the same turn of the event loop join the same commit.
      this.#flushing ??= new Promise((r) => setImmediate(r)).then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        await this.#db.transaction(batch.flatMap((entry) => entry.statements));
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.done(error);
      }
    }
    this.#flushing = undefined;
  }

  async track(sha256: string): Promise<TrackState | undefined> {
    return (await this.tracksOf([sha256])).get(sha256);
  }

  /** The objects providers hold for a content hash, with or without a track (the manager API's files). */
  async storedObjects(sha256: string) {
    const rows = await this.#db.query("SELECT object FROM stored WHERE sha256 = ?", [sha256]);
    return rows.map((row) => StoredObjectSchema.parse(JSON.parse(String(row.object))));
  }

  /**
   * The content address recorded for a library file whose size, mtime and inode are unchanged since it was
   * hashed, so a re-run does not read the bytes again.
   */
  async knownAddress(file: FileIdentity): Promise<ContentAddress | undefined> {
    const [row] = await this.#db.query(
      `SELECT sha256, cid, size, profile FROM tracks WHERE ${UNCHANGED_FILE} LIMIT 1`,
      unchangedFile(file),
    );
    if (row === undefined) return undefined;
    return {
      size: Number(row.size),
      sha256: String(row.sha256),
      cid: String(row.cid),
      profile: String(row.profile) as ContentAddress["profile"],
    };
  }
  /** Whether a provider holds the audio of a library file unchanged since it was hashed: one query a file. */
  async audioStored(file: FileIdentity): Promise<boolean> {
    const rows = await this.#db.query(
      `SELECT 1 AS found FROM tracks t WHERE ${UNCHANGED_FILE}
       AND EXISTS (SELECT 1 FROM stored s WHERE s.sha256 = t.sha256 AND s.kind = 'audio') LIMIT 1`,
      unchangedFile(file),
    );
    return rows.length > 0;
  }

  /** Every track, streamed in pages: the catalog is never in memory at once. */
  async *tracks(): AsyncGenerator<TrackState> {
    let after = "";
    for (;;) {
      const rows = await this.#db.query("SELECT * FROM tracks WHERE sha256 > ? ORDER BY sha256 LIMIT ?", [
        after,
        PAGE,
      ]);
      if (rows.length === 0) return;
      yield* await this.#withCopies(rows);
      after = String(rows.at(-1)!.sha256);
    }
  }

  /** The tracks of these content hashes that the ledger knows, by hash. */
  async tracksOf(hashes: string[]): Promise<Map<string, TrackState>> {
    if (hashes.length === 0) return new Map();
    const marks = hashes.map(() => "?").join(", ");
    const rows = await this.#db.query(`SELECT * FROM tracks WHERE sha256 IN (${marks})`, hashes);
    return new Map((await this.#withCopies(rows)).map((state) => [state.sha256, state]));
  }

  /** A run's outcomes in library order, streamed in pages. */
  async *outcomes(run: string): AsyncGenerator<RecordOf<"outcome">[]> {
    let after = -1;
    for (;;) {
      const rows = await this.#db.query(
        "SELECT * FROM outcomes WHERE run = ? AND ord > ? ORDER BY ord, file LIMIT ?",
        [run, after, PAGE],
      );
      if (rows.length === 0) return;
      yield rows.map((row) => ({
        type: "outcome" as const,
        run,
        order: Number(row.ord),
        file: String(row.file),
        sha256: String(row.sha256),
        status: String(row.status) as RecordOf<"outcome">["status"],
        error: row.error === null ? undefined : String(row.error),
        degraded: JSON.parse(String(row.degraded)) as string[],
        duplicateOf: row.duplicate_of === null ? undefined : String(row.duplicate_of),
      }));
      after = Number(rows.at(-1)!.ord);
    }
  }

  /** Whether a run has recorded an outcome for a library file yet. */
  async hasOutcome(run: string, file: string): Promise<boolean> {
    const rows = await this.#db.query("SELECT 1 AS found FROM outcomes WHERE run = ? AND file = ?", [
      run,
      file,
    ]);
    return rows.length > 0;
  }

  async deployment(chainId: number): Promise<Deployment | undefined> {
    const [row] = await this.#db.query("SELECT chain_id, contract FROM deployments WHERE chain_id = ?", [
      chainId,
    ]);
    return row === undefined ? undefined : { chainId: Number(row.chain_id), contract: String(row.contract) };
  }

  async pendingMints(deployment: Deployment): Promise<PendingMint[]> {
    const rows = await this.#db.query(
      "SELECT tx_hash, chain_id, contract, sha256s FROM pending_mints WHERE deployment = ? ORDER BY tx_hash",
      [deploymentKey(deployment)],
    );
    return rows.map((row) => ({
      deployment: { chainId: Number(row.chain_id), contract: String(row.contract) },
      txHash: String(row.tx_hash) as `0x${string}`,
      sha256s: JSON.parse(String(row.sha256s)) as string[],
    }));
  }

  /** Up to `limit` tracks waiting in the mint queue of a deployment, with the metadata CID each is minted with. */
  async mintQueue(
    deployment: Deployment,
    limit: number,
  ): Promise<Array<{ sha256: string; metadataCid: string }>> {
    const rows = await this.#db.query(
      "SELECT sha256, metadata_cid FROM mint_queue WHERE deployment = ? ORDER BY sha256 LIMIT ?",
      [deploymentKey(deployment), limit],
    );
    return rows.map((row) => ({ sha256: String(row.sha256), metadataCid: String(row.metadata_cid) }));
  }

  /** Token id → the tokenURI `marketplace` was last seen showing, for this deployment. */
  async marketplaceSynced(
    deployment: Deployment,
    marketplace: RecordOf<"marketplace-synced">["marketplace"],
  ): Promise<Map<string, string>> {
    const rows = await this.#db.query(
      "SELECT token_id, token_uri FROM marketplace_synced WHERE deployment = ? AND marketplace = ?",
      [deploymentKey(deployment), marketplace],
    );
    return new Map(rows.map((row) => [String(row.token_id), String(row.token_uri)]));
  }

  /** Waits for every record made so far, then releases the database and the work directory. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#db.close();
    await this.#unlock();
  }

  async #withCopies(rows: Row[]): Promise<TrackState[]> {
    // `IN ()` is an error in PostgreSQL.
    if (rows.length === 0) return [];
    const hashes = rows.map((row) => String(row.sha256));
    const marks = hashes.map(() => "?").join(", ");
    const [stored, minted] = await Promise.all([
      this.#db.query(`SELECT sha256, object FROM stored WHERE sha256 IN (${marks})`, hashes),
      this.#db.query(
        `SELECT sha256, deployment, token_id, tx_hash FROM minted WHERE sha256 IN (${marks})`,
        hashes,
      ),
    ]);
    return rows.map((row) => trackFromRows(row, stored, minted));
  }
}

async function createSchema(db: LedgerDatabase): Promise<void> {
  await db.migrate([
    ...SCHEMA.map((sql) => ({ sql })),
    {
      sql: "INSERT INTO ledger_meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO NOTHING",
      params: [SCHEMA_VERSION],
    },
  ]);
}

/** The work directory's ledger: SQLite there, or the shared PostgreSQL when DCMX_DATABASE_URL is set. */
export function openLedger(config: Pick<PipelineConfig, "workDir" | "databaseUrl">): Promise<Ledger> {
  return Ledger.open({ workDir: config.workDir, databaseUrl: config.databaseUrl });
}
