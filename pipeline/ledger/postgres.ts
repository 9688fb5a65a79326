import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { ConfigError } from "../errors.js";
import { registerSecret } from "../util/secrets.js";
import { type LedgerDatabase, numberedPlaceholders, type Row, type SqlValue } from "./database.js";

/** Connections per process: one writer's transaction and a few reads at once is all a worker needs. */
const POOL_SIZE = 4;
/** deadlock_detected and serialization_failure: a transaction PostgreSQL rolled back to let another finish. */
const RETRIED = new Set(["40P01", "40001"]);
const MAX_ATTEMPTS = 8;
/** The advisory lock key that serialises schema creation (any constant no other tool of ours uses). */
const MIGRATION_LOCK = 0x64636d78;

/**
 * The shared ledger: PostgreSQL, for several workers on several machines (`DCMX_DATABASE_URL`). Commits
 * are durable as configured on the server (synchronous_commit on by default). Numbers come back as
 * numbers: every BIGINT the ledger stores (sizes, times, chain ids) fits a double exactly.
 */
export async function openPostgres(url: string): Promise<LedgerDatabase> {
  const location = describe(url);
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on("error", () => {
    // An idle connection dropped by the server: the pool replaces it; the next query reports real trouble.
  });
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text"),
  };
  const unreachable = (error: unknown) =>
    new ConfigError(
      "LEDGER_DB",
      `cannot use the ledger database at ${location}: ${(error as Error).message}`,
      {
        field: "DCMX_DATABASE_URL",
        hint: "check that PostgreSQL runs there and the URL's user, password and database are right",
        cause: error,
      },
    );
  const client = await pool.connect().catch((error: unknown) => {
    throw unreachable(error);
  });
  client.release();
  const inTransaction = async <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query("BEGIN");
      const result = await work(c);
      await c.query("COMMIT");
      return result;
    } catch (error) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      c.release();
    }
  };
  const run = (c: pg.PoolClient | pg.Pool, sql: string, params: SqlValue[] = []) =>
    c.query({ text: numberedPlaceholders(sql), values: params, types });
  return {
    kind: "postgres",
    location,
    nowMs: "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::double precision",
    transaction: (statements) =>
      retried(() =>
        inTransaction(async (c) => {
          for (const { sql, params } of statements) await run(c, sql, params);
        }),
      ),
    migrate: (statements) =>
      // A worker that starts while others commit can deadlock with them too (its CREATE INDEX IF NOT EXISTS
      // locks a table their upserts hold): the schema statements are idempotent, so it is run again.
      retried(() =>
        inTransaction(async (c) => {
          // CREATE TABLE IF NOT EXISTS races with itself across sessions; a transaction lock serialises it.
          await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
          for (const { sql, params } of statements) await run(c, sql, params);
        }),
      ),
    async query(sql, params) {
      return (await run(pool, sql, params)).rows as Row[];
    },
    async close() {
      await pool.end();
    },
  };
}

/** The server and database a URL names, without its password (which is also registered as a secret). */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    registerSecret(decodeURIComponent(parsed.password));
    return `postgres://${parsed.host}${parsed.pathname}`;
  } catch {
    throw new ConfigError("LEDGER_DB", "is not a PostgreSQL URL", {
      field: "DCMX_DATABASE_URL",
      hint: "use postgres://user:password@host:5432/database",
    });
  }
}

/**
 * Runs `work` again when PostgreSQL rolled it back for a deadlock or a serialisation failure: workers committing
 * at once can lock the same rows in opposite orders, and PostgreSQL then rolls one back. Every record is an
 * idempotent upsert, so the loser's whole transaction is simply run again.
 */
async function retried(work: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      if (!RETRIED.has((error as { code?: string }).code ?? "") || attempt >= MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * 50 * attempt);
    }
  }
}
