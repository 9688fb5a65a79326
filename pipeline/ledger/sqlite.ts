import { once } from "node:events";
import { createRequire } from "node:module";
import type { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { requireSqlite } from "../util/node-sqlite.js";
import type { LedgerDatabase, Row, SqlValue, Statement } from "./database.js";

/**
 * The thread that commits. Its whole program, plain CommonJS so it runs the same under tsx, Hardhat's loader
 * or a compiled build: each message is one transaction, answered once it is committed (or rolled back).
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { DatabaseSync } = (${requireSqlite.toString()})(require);
const db = new DatabaseSync(workerData.path);
db.exec("PRAGMA synchronous = FULL");
db.exec("PRAGMA busy_timeout = 10000");
const prepared = new Map();
parentPort.on("message", ({ id, statements }) => {
  if (statements === undefined) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const { sql, params = [] } of statements) {
        let statement = prepared.get(sql);
        if (statement === undefined) prepared.set(sql, (statement = db.prepare(sql)));
        statement.run(...params);
      }
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error.message, code: error.code } });
  }
});
`;

/**
 * The embedded ledger: one SQLite file in the work directory. WAL with `synchronous=FULL` makes each
 * commit durable (fsync) before `transaction` resolves, like the journal's fsynced appends, while readers
 * never wait for a writer. node:sqlite is synchronous, so commits run on a thread of their own: measured on
 * a catalog of small tracks, commits on the main thread blocked it ~1 ms each for their fsync, more than a
 * tenth of the run's time, and records could only share a commit if they were made in the same moment.
 * Now the run goes on while a commit waits for the disk, and what it records meanwhile joins the next one.
 * Reads run here, on their own connection.
 */
export function openSqlite(path: string): LedgerDatabase {
  const { DatabaseSync } = requireSqlite(createRequire(import.meta.url));
  const db: DatabaseSync = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
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
  const writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { path } });
  writer.unref();
  const waiting = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let next = 0;
  let failed: Error | undefined;
  writer.on("message", ({ id, error }: { id: number; error?: { message: string; code?: string } }) => {
    const waiter = waiting.get(id)!;
    waiting.delete(id);
    if (waiting.size === 0) writer.unref();
    if (error === undefined) waiter.resolve();
    else waiter.reject(Object.assign(new Error(error.message), { code: error.code }));
  });
  // The thread only ends by `close`: otherwise every commit waiting, and every later one, fails.
  let exited = false;
  const stop = (error: Error) => {
    failed ??= error;
    for (const waiter of waiting.values()) waiter.reject(failed);
    waiting.clear();
  };
  writer.on("error", stop);
  writer.on("exit", () => {
    exited = true;
    stop(new Error(`the ledger's writer for ${path} stopped`));
  });
  const commit = (statements: Statement[]) =>
    new Promise<void>((resolve, reject) => {
      if (failed !== undefined) return reject(failed);
      const id = next++;
      // The thread keeps the process alive only while a commit is on its way, as a pending write would.
      if (waiting.size === 0) writer.ref();
      waiting.set(id, { resolve, reject });
      writer.postMessage({ id, statements });
    });
  return {
    kind: "sqlite",
    location: path,
    nowMs: "((julianday('now') - 2440587.5) * 86400000.0)",
    transaction: commit,
    migrate: commit,
    async query(sql, params: SqlValue[] = []) {
      return statement(sql).all(...params) as Row[];
    },
    async close() {
      // The writer closes its connection itself (SQLite then folds the WAL into the file) and ends.
      if (!exited) {
        const ended = once(writer, "exit");
        writer.ref();
        writer.postMessage({});
        await ended;
      }
      db.close();
    },
  };
}
