/**
 * What the ledger needs from a database, written once for both backends. SQL is written with `?`
 * placeholders and the shared subset of SQLite and PostgreSQL (`INSERT … ON CONFLICT … DO UPDATE`,
 * `RETURNING`); the PostgreSQL backend numbers the placeholders. What only one of them has (row locks that
 * skip locked rows) is a capability the caller asks about, never a dialect test scattered in queries.
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
  /** Runs the statements in one transaction, durably committed before this resolves. */
  transaction(statements: Statement[]): Promise<void>;
  /** Creates or upgrades tables; workers starting together on one PostgreSQL do it one at a time. */
  migrate(statements: Statement[]): Promise<void>;
  /** Runs one read on its own and returns its rows. */
  query(sql: string, params?: SqlValue[]): Promise<Row[]>;
  /**
   * Claims rows in one transaction: `select` picks them (in PostgreSQL with `FOR UPDATE SKIP LOCKED`
   * appended, so concurrent workers never pick the same row and never wait on each other) and
   * `update(rows)` marks them taken before the transaction commits.
   */
  claim(select: Statement, update: (rows: Row[]) => Statement[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Numbers `?` placeholders as `$1, $2, …` (no SQL text of ours has a `?` in a literal). */
export function numberedPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}
