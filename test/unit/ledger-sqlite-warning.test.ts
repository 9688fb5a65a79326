import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { tempDir } from "../support/ipfs-fixtures.js";

const SQLITE_MODULE = new URL("../../pipeline/ledger/sqlite.ts", import.meta.url).href;

/**
 * node:sqlite's ExperimentalWarning is dropped on both threads that load it (reads here, commits on the
 * writer thread, whose program is eval'd source built from the same loader), and no other warning is. Run
 * under tsx in a fresh process: the warning is printed once per thread, and only to a process's stderr.
 */
describe("SQLite ledger: node:sqlite's ExperimentalWarning", function () {
  this.timeout(30_000);

  it("is not printed by the reader or the writer thread; other warnings still are", async () => {
    const dir = await tempDir();
    try {
      const script = join(dir.path, "open.mjs");
      await writeFile(
        script,
        `import { openSqlite } from ${JSON.stringify(SQLITE_MODULE)};
const db = openSqlite(process.argv[2]);
await db.transaction([{ sql: "CREATE TABLE t (x)" }, { sql: "INSERT INTO t VALUES (?)", params: [1] }]);
console.log(JSON.stringify(await db.query("SELECT x FROM t")));
await db.close();
process.emitWarning("another experiment", "ExperimentalWarning");
`,
      );
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", script, join(dir.path, "ledger.db")],
        { env: { ...process.env, NODE_OPTIONS: "" } },
      );
      expect(stdout.trim(), "the writer committed").to.equal('[{"x":1}]');
      expect(stderr).to.not.include("SQLite");
      expect(stderr).to.include("ExperimentalWarning: another experiment");
    } finally {
      await dir.remove();
    }
  });
});
