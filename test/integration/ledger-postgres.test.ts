import pg from "pg";
import { describeLedger } from "../support/ledger-contract.js";
import { type Postgres, startPostgres } from "../support/postgres.js";

/** The ledger's contract on a real PostgreSQL 15 (the recipe's server), a fresh database per test. */
describe("ledger on PostgreSQL", function () {
  this.timeout(120_000);
  let server: Postgres;
  let admin: pg.Client;
  let count = 0;
  before(async () => {
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await server?.stop();
  });

  describeLedger({
    name: "PostgreSQL",
    database: async () => {
      const name = `ledger_${++count}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
  });
});
