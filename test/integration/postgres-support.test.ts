import { existsSync } from "node:fs";
import { expect } from "chai";
import { after, before, describe, it } from "mocha";
import pg from "pg";
import { type Postgres, startPostgres } from "../support/postgres.js";

/** Claims up to `limit` unclaimed rows for `worker` in one transaction; the rows stay locked until `commit`. */
async function claim(client: pg.Client, worker: string, limit: number) {
  await client.query("BEGIN");
  const { rows } = await client.query<{ id: number }>(
    "SELECT id FROM tracks WHERE claimed_by IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    [limit],
  );
  const ids = rows.map((row) => row.id);
  await client.query("UPDATE tracks SET claimed_by = $1 WHERE id = ANY($2)", [worker, ids]);
  return { ids, commit: () => client.query("COMMIT") };
}

describe("test support: a throwaway PostgreSQL 15 (real server on loopback)", function () {
  this.timeout(30_000);
  let server: Postgres;
  const clients: pg.Client[] = [];

  before(async () => {
    server = await startPostgres();
    for (let i = 0; i < 2; i++) {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      clients.push(client);
    }
  });

  // The last test stops the server itself; this cleans up when an earlier one failed (stop is idempotent).
  after(async () => {
    for (const client of clients) await client.end();
    await server?.stop();
  });

  it("listens on 127.0.0.1 with password auth", () => {
    const url = new URL(server.url);
    expect(url.hostname).to.equal("127.0.0.1");
    expect(url.password).to.have.length.greaterThan(16);
    expect(url.pathname).to.equal("/dcmx");
  });

  it("gives each row to exactly one of two clients claiming with FOR UPDATE SKIP LOCKED", async () => {
    const [a, b] = clients as [pg.Client, pg.Client];
    await a.query("CREATE TABLE tracks (id integer PRIMARY KEY, claimed_by text)");
    await a.query("INSERT INTO tracks SELECT g, NULL FROM generate_series(1, 200) g");

    // While a holds its rows uncommitted, b skips them instead of waiting (or taking them too).
    const first = await claim(a, "a", 5);
    const second = await claim(b, "b", 5);
    expect(first.ids).to.deep.equal([1, 2, 3, 4, 5]);
    expect(second.ids).to.deep.equal([6, 7, 8, 9, 10]);
    await Promise.all([first.commit(), second.commit()]);

    // Then both drain the table at once, each holding its batch across a round trip before committing.
    const claimed: Record<string, number[]> = { a: [...first.ids], b: [...second.ids] };
    const drain = async (client: pg.Client, worker: string) => {
      for (;;) {
        const batch = await claim(client, worker, 7);
        await client.query("SELECT pg_sleep(0.002)");
        await batch.commit();
        if (batch.ids.length === 0) return;
        claimed[worker]!.push(...batch.ids);
      }
    };
    await Promise.all([drain(a, "a"), drain(b, "b")]);

    const all = [...claimed.a!, ...claimed.b!].sort((x, y) => x - y);
    expect(all).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(claimed.a!.length).to.be.greaterThan(5);
    expect(claimed.b!.length).to.be.greaterThan(5);
    const { rows } = await a.query<{ claimed_by: string; n: string }>(
      "SELECT claimed_by, count(*) AS n FROM tracks GROUP BY claimed_by ORDER BY claimed_by",
    );
    expect(rows.map((row) => [row.claimed_by, Number(row.n)])).to.deep.equal([
      ["a", claimed.a!.length],
      ["b", claimed.b!.length],
    ]);
  });

  it("stop ends the server and removes its folder", async () => {
    for (const client of clients.splice(0)) {
      client.on("error", () => {}); // the fast shutdown ends these open connections
    }
    expect(existsSync(server.dir)).to.equal(true);
    await server.stop();
    expect(existsSync(server.dir)).to.equal(false);
    const again = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
    let refused: unknown;
    await again.connect().catch((error: unknown) => (refused = error));
    expect(refused, "a connection after stop").to.be.instanceOf(Error);
  });
});
