import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import { describeLedger } from "../support/ledger-contract.js";

describeLedger({ name: "SQLite", database: async () => undefined });

describe("ledger schema (SQLite)", () => {
  /** The lookups made for every track of a run: each must stay one index search however large the catalog. */
  const perTrackLookups = [
    "SELECT * FROM tracks WHERE sha256 = ?",
    "SELECT * FROM tracks WHERE name_key = ?",
    "SELECT * FROM stored WHERE sha256 = ?",
    "SELECT * FROM minted WHERE sha256 = ?",
    "SELECT * FROM mint_queue WHERE sha256 = ?",
    "SELECT * FROM outcomes WHERE run = ? AND file = ?",
  ];

  it("answers every per-track lookup from an index, never by scanning a table", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dcmx-ledger-plan-"));
    try {
      await (await Ledger.open({ workDir: dir })).close();
      // node:sqlite is loaded the way the ledger loads it (a CommonJS require: no ESM loader hook sees it).
      const { DatabaseSync } = createRequire(import.meta.url)("node:sqlite") as typeof import("node:sqlite");
      const db = new DatabaseSync(join(dir, "ledger.sqlite"), { readOnly: true });
      try {
        for (const sql of perTrackLookups) {
          const params = Array.from(sql.matchAll(/\?/g), () => "x");
          const steps = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params);
          const plan = steps.map((step) => String(step.detail)).join("; ");
          expect(plan, sql)
            .to.match(/^SEARCH /)
            .and.not.match(/SCAN/);
        }
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
