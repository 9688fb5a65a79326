/**
 * What the ledger needs from a database, written once for both backends. SQL is written with `?`
 * placeholders and the shared subset of SQLite and PostgreSQL (`INSERT … ON CONFLICT … DO UPDATE`,
 * `RETURNING`); the PostgreSQL backend numbers the placeholders, and serialises schema creation.
 */
export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface Statement {
  sql: string;
  params?: SqlValue[];
}

export interface LedgerDatabase {
  /** "sqlite" (one machine, one process) or "postgres" (shared by workers on any number of machines). */
  readonly kind: "sqlite" | "postgres";
  /** Where the rows live, for messages: a file path, or the server without its credentials. */
  readonly location: string;
  /**
   * SQL for the database's clock in milliseconds since the epoch: leases are judged by one clock, the
   * server's, however far the workers' own clocks drift.
   */
  readonly nowMs: string;
  /** Runs the statements in one transaction, durably committed before this resolves. */
  transaction(statements: Statement[]): Promise<void>;
  /** Creates or upgrades tables; workers starting together on one PostgreSQL do it one at a time. */
  migrate(statements: Statement[]): Promise<void>;
  /** Runs one read on its own and returns its rows. */
  query(sql: string, params?: SqlValue[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Numbers `?` placeholders as `$1, $2, …` (no SQL text of ours has a `?` in a literal). */
export function numberedPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}
