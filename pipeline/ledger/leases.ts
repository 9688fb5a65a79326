import type { LedgerDatabase } from "./database.js";

/**
 * Claims and leases: how workers sharing a ledger divide the work. Both are rows with an expiry on the
 * database's clock. Taking one is a single conditional upsert (free, expired, or already ours), atomic on
 * SQLite and PostgreSQL alike, so two workers can never both win; a worker that dies simply stops renewing,
 * and what it held is free again once its time runs out.
 */
export class Leases {
  readonly #db: LedgerDatabase;

  constructor(db: LedgerDatabase) {
    this.#db = db;
  }

  /** Takes `item` for `holder` for `ttlMs` unless another holder's claim on it is still alive. */
  async claim(item: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#db.nowMs;
    const rows = await this.#db.query(
      `INSERT INTO claims (item, holder, expires_ms) VALUES (?, ?, ${now} + ?)
       ON CONFLICT (item) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
       WHERE claims.holder = excluded.holder OR claims.expires_ms < ${now}
       RETURNING holder`,
      [item, holder, ttlMs],
    );
    return rows.length === 1;
  }

  async release(item: string, holder: string): Promise<void> {
    await this.#db.query("DELETE FROM claims WHERE item = ? AND holder = ?", [item, holder]);
  }

  /** Extends every claim of `holder`: one statement however many items it works on. */
  async renewClaims(holder: string, ttlMs: number): Promise<void> {
    await this.#db.query(`UPDATE claims SET expires_ms = ${this.#db.nowMs} + ? WHERE holder = ?`, [
      ttlMs,
      holder,
    ]);
  }

  /** Live claims of other holders: work that may still end in the mint queue. */
  async othersAtWork(holder: string): Promise<number> {
    const [row] = await this.#db.query(
      `SELECT COUNT(*) AS n FROM claims WHERE holder <> ? AND expires_ms >= ${this.#db.nowMs}`,
      [holder],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Takes or renews the lease `name` for `holder`. Returns its epoch (which grows each time the lease
   * changes hands), or undefined while another holder's lease is alive.
   */
  async hold(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const now = this.#db.nowMs;
    const [row] = await this.#db.query(
      `INSERT INTO leases (name, holder, epoch, expires_ms) VALUES (?, ?, 1, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET
         epoch = CASE WHEN leases.holder = excluded.holder THEN leases.epoch ELSE leases.epoch + 1 END,
         holder = excluded.holder, expires_ms = excluded.expires_ms
       WHERE leases.holder = excluded.holder OR leases.expires_ms < ${now}
       RETURNING epoch`,
      [name, holder, ttlMs],
    );
    return row === undefined ? undefined : Number(row.epoch);
  }

  /** Gives the lease up at once, so the next worker need not wait for it to expire. */
  async drop(name: string, holder: string): Promise<void> {
    await this.#db.query("UPDATE leases SET expires_ms = 0 WHERE name = ? AND holder = ?", [name, holder]);
  }
}
