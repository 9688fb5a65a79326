import { createRequire } from "node:module";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { BaseBlockstore } from "blockstore-core";
import { BaseDatastore } from "datastore-core";
import type { Pair as BlockPair } from "interface-blockstore";
import { Key, type KeyQuery, type Pair, type Query } from "interface-datastore";
import { NotFoundError } from "interface-store";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { requireSqlite } from "../../util/node-sqlite.js";

/** The embedded node's database, in its repo directory. */
export const NODE_DATABASE = "node.sqlite";

/**
 * WAL pages written before SQLite folds them into the database (its default is 1,000, 4 MB). A fold syncs
 * the disk on the thread that commits, the main one, so with audio blocks of 256 KB the default would
 * stop the run every 16 blocks.
 */
const WAL_CHECKPOINT_PAGES = 8192;

const SCHEMA = [
  // Keyed by multihash as blockstore-fs is: a block's bytes are the same whatever codec a CID names them with.
  "CREATE TABLE IF NOT EXISTS blocks (multihash BLOB PRIMARY KEY, bytes BLOB NOT NULL)",
  // Keys are UTF-8 bytes, so a key prefix is a byte range of the primary key.
  "CREATE TABLE IF NOT EXISTS datastore (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
];

/**
 * A value parameter. node:sqlite binds an empty array with no memory behind it (an empty file's block, as
 * the importer hands it over) as NULL, which the NOT NULL column would turn into a silently ignored insert.
 */
const EMPTY_AS_BLOB = "coalesce(?, zeroblob(0))";

interface Statements {
  /** A statement prepared once and reused: for those that run to completion in one call. */
  cached(sql: string): StatementSync;
  /** A statement of its own, for an iteration another one of the same SQL must not reset midway. */
  fresh(sql: string): StatementSync;
}

/**
 * The embedded node's blocks and its datastore (pins, Helia's own records) in one SQLite file. Helia's
 * file stores keep a file per block and per pin, each written through a temporary file and a rename and
 * looked up with an `access` call: on a catalog of small tracks that was a fifth of the main thread
 * (docs/LABELS.md). Here a write is one row, committed on its own (WAL, `synchronous=NORMAL`): it
 * survives the process being killed, as a renamed file did, and like those files (never synced) the
 * last writes before a power cut may be lost. Statements run synchronously: each touches one row.
 */
export class NodeStores {
  readonly blockstore: SqliteBlockstore;
  readonly datastore: SqliteDatastore;
  readonly #db: DatabaseSync;
  #closed = false;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    const cache = new Map<string, StatementSync>();
    const statements: Statements = {
      cached(sql) {
        let statement = cache.get(sql);
        if (statement === undefined) {
          statement = db.prepare(sql);
          cache.set(sql, statement);
        }
        return statement;
      },
      fresh: (sql) => db.prepare(sql),
    };
    this.blockstore = new SqliteBlockstore(statements);
    this.datastore = new SqliteDatastore(statements);
  }

  static open(path: string): NodeStores {
    const { DatabaseSync } = requireSqlite(createRequire(import.meta.url));
    const db = new DatabaseSync(path);
    try {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
      // Another process with the node open (`dcmx serve` beside a run) is waited for, not an error.
      db.exec("PRAGMA busy_timeout = 10000");
      for (const sql of SCHEMA) db.exec(sql);
    } catch (error) {
      // A full or read-only disk: the file is not left open (it would keep its filesystem busy).
      db.close();
      throw error;
    }
    return new NodeStores(db);
  }

  /** Runs `write` in one transaction: an import of many rows commits once. */
  inTransaction<T>(write: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = write();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** Blocks by multihash; `put` accepts the streamed forms the interface allows and stores them whole. */
export class SqliteBlockstore extends BaseBlockstore {
  readonly #statements: Statements;

  constructor(statements: Statements) {
    super();
    this.#statements = statements;
  }

  override has(key: CID): boolean {
    return (
      this.#statements.cached("SELECT 1 FROM blocks WHERE multihash = ?").get(key.multihash.bytes) !==
      undefined
    );
  }

  override put(
    key: CID,
    value: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): CID | Promise<CID> {
    if (value instanceof Uint8Array) return this.#insert(key, value);
    return collect(value).then((bytes) => this.#insert(key, bytes));
  }

  override *get(key: CID): Generator<Uint8Array> {
    const row = this.#statements
      .cached("SELECT bytes FROM blocks WHERE multihash = ?")
      .get(key.multihash.bytes);
    if (row === undefined) throw new NotFoundError(`block ${key} is not in the embedded node`);
    yield row.bytes as Uint8Array;
  }

  override delete(key: CID): void {
    this.#statements.cached("DELETE FROM blocks WHERE multihash = ?").run(key.multihash.bytes);
  }

  /** Every block, named as raw CIDv1 (the codec is not stored), as blockstore-fs names them. */
  override *getAll(): Generator<BlockPair> {
    for (const row of this.#statements.fresh("SELECT multihash, bytes FROM blocks").iterate()) {
      const bytes = row.bytes as Uint8Array;
      yield {
        cid: CID.createV1(raw.code, Digest.decode(row.multihash as Uint8Array)),
        bytes: (function* () {
          yield bytes;
        })(),
      };
    }
  }

  #insert(key: CID, bytes: Uint8Array): CID {
    // The same multihash is the same bytes: a second put of a block has nothing to change.
    this.#statements
      .cached(`INSERT OR IGNORE INTO blocks (multihash, bytes) VALUES (?, ${EMPTY_AS_BLOB})`)
      .run(key.multihash.bytes, bytes);
    return key;
  }
}

/** Key/value rows; queries read the byte range of their prefix and leave filters and order to the base class. */
export class SqliteDatastore extends BaseDatastore {
  readonly #statements: Statements;

  constructor(statements: Statements) {
    super();
    this.#statements = statements;
  }

  override put(key: Key, value: Uint8Array): Key {
    this.#statements
      .cached(`INSERT OR REPLACE INTO datastore (key, value) VALUES (?, ${EMPTY_AS_BLOB})`)
      .run(keyBytes(key), value);
    return key;
  }

  override get(key: Key): Uint8Array {
    const row = this.#statements.cached("SELECT value FROM datastore WHERE key = ?").get(keyBytes(key));
    if (row === undefined) throw new NotFoundError(`${key} is not in the embedded node's datastore`);
    return row.value as Uint8Array;
  }

  override has(key: Key): boolean {
    return this.#statements.cached("SELECT 1 FROM datastore WHERE key = ?").get(keyBytes(key)) !== undefined;
  }

  override delete(key: Key): void {
    this.#statements.cached("DELETE FROM datastore WHERE key = ?").run(keyBytes(key));
  }

  override *_all(query: Query): Generator<Pair> {
    for (const row of this.#rows(query.prefix, "key, value"))
      yield { key: keyOf(row.key), value: row.value as Uint8Array };
  }

  override *_allKeys(query: KeyQuery): Generator<Key> {
    for (const row of this.#rows(query.prefix, "key")) yield keyOf(row.key);
  }

  #rows(prefix: string | undefined, columns: string) {
    if (!prefix) return this.#statements.fresh(`SELECT ${columns} FROM datastore ORDER BY key`).iterate();
    const start = utf8.encode(prefix);
    return this.#statements
      .fresh(`SELECT ${columns} FROM datastore WHERE key >= ? AND key < ? ORDER BY key`)
      .iterate(start, prefixEnd(start));
  }
}

// One of each for every datastore call, which a pin makes several of per track.
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function keyBytes(key: Key): Uint8Array {
  return utf8.encode(key.toString());
}

function keyOf(bytes: unknown): Key {
  return new Key(fromUtf8.decode(bytes as Uint8Array));
}

/**
 * The smallest byte string above every string that starts with `prefix`: its last byte plus one, which
 * cannot overflow because UTF-8 never holds a 0xFF byte.
 */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  end[end.length - 1]!++;
  return end;
}

async function collect(pieces: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const piece of pieces) chunks.push(piece);
  return Buffer.concat(chunks);
}
