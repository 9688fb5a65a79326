import { createRequire } from "node:module";
import type { DatabaseSync } from "node:sqlite";
import type { LedgerDatabase, Row, SqlValue, Statement } from "./database.js";

/**
 * node:sqlite is stable enough for us (Node ≥ 22.13 ships it without a flag) but still prints an
 * ExperimentalWarning on load, which would sit in every run's output: that one warning is dropped while
 * the module loads, every other warning is left alone.
 */
function loadSqlite(): typeof import("node:sqlite") {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === "ExperimentalWarning" && text.includes("SQLite")) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
}

/**
 * The embedded ledger: one SQLite file in the work directory. WAL with `synchronous=FULL` makes each
 * commit durable (fsync) before `transaction` resolves, like the journal's fsynced appends, while readers
 * never wait for a writer. node:sqlite is synchronous: a commit blocks the event loop for its fsync, so
 * the ledger groups the records of a moment into one transaction (see `Ledger`).
 */
export function openSqlite(path: string): LedgerDatabase {
  const { DatabaseSync } = loadSqlite();
  const db: DatabaseSync = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  // Another process holding a write (a second reader such as `dcmx stats`) is waited for, not an error.
  db.exec("PRAGMA busy_timeout = 10000");
  const prepared = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  const statement = (sql: string) => {
    let found = prepared.get(sql);
    if (found === undefined) {
      found = db.prepare(sql);
      prepared.set(sql, found);
    }
    return found;
  };
  const runAll = (statements: Statement[]) => {
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const { sql, params = [] } of statements) statement(sql).run(...params);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };
  return {
    kind: "sqlite",
    location: path,
    nowMs: "((julianday('now') - 2440587.5) * 86400000.0)",
    async transaction(statements) {
      runAll(statements);
    },
    async migrate(statements) {
      runAll(statements);
    },
    async query(sql, params: SqlValue[] = []) {
      return statement(sql).all(...params) as Row[];
    },
    async close() {
      db.close();
    },
  };
}
