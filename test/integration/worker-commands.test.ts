import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import pg from "pg";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { runDcmx, runHardhat } from "../support/hardhat-node.js";
import {
  audioPuts,
  expectMintedOnce,
  startWorkerServices,
  type WorkerServices,
} from "../support/worker-services.js";

const TRACKS = 20;

/**
 * The two ways a user starts workers, as a user types them: `hardhat mint-library --workers N` (N worker
 * processes on this machine) and `dcmx worker` (one worker of many), on one PostgreSQL ledger, one S3
 * bucket (s3rver behind a counting proxy), a Kubo stand-in and a `hardhat node`, with a small catalog.
 */
describe("worker commands: mint-library --workers and dcmx worker", function () {
  this.timeout(300_000);
  let services: WorkerServices;

  before(async () => {
    services = await startWorkerServices(TRACKS);
  });
  after(() => services?.stop());

  const minted = async (workDir: string) => {
    const report = RunReportSchema.parse(JSON.parse(await readFile(join(workDir, "report.json"), "utf8")));
    expect(report.totals, workDir).to.include({ failed: 0, pending: 0 });
    return report.tracks.filter((t) => t.status === "minted").length;
  };

  it("dcmx worker refuses a setup without PostgreSQL, naming DCMX_DATABASE_URL, and touches nothing shared", async () => {
    const before = services.proxy.log.length;
    const run = await runDcmx(["worker", "--network", "localhost"], {
      ...services.env(),
      DCMX_DATABASE_URL: "",
      DCMX_WORKDIR: join(services.dir, "refused"),
    });
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.match(
      /DCMX_DATABASE_URL: cannot run as a worker: workers share one PostgreSQL ledger; the SQLite ledger is one work directory's — set DCMX_DATABASE_URL=postgres:\/\//,
    );
    expect(services.proxy.log.slice(before).filter((entry) => entry.method === "PUT")).to.deep.equal([]);
  });

  it("mint-library --workers 2 refuses an embedded S3 primary before it starts any worker, naming STORJ_ACCESS_KEY", async () => {
    const run = await runHardhat(["--network", "localhost", "mint-library", "--workers", "2"], {
      ...services.env(),
      STORJ_ACCESS_KEY: "",
      STORJ_SECRET_KEY: "",
      DCMX_WORKDIR: join(services.dir, "refused-local"),
    });
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.include(
      "STORJ_ACCESS_KEY: cannot run as a worker: the embedded S3 server keeps its objects in one worker's work directory",
    );
    expect(run.output).to.not.include("[worker ");
  });

  it("mint-library --workers 2 mints every track exactly once, each file sent once, with the task's flags in every worker", async () => {
    const workDir = join(services.dir, "local");
    // The library and batch size come as the task's flags only: each worker must be given them.
    const { DCMX_LIBRARY, ...env } = services.env();
    const run = await runHardhat(
      [
        "--network",
        "localhost",
        "mint-library",
        "--workers",
        "2",
        "--library",
        DCMX_LIBRARY!,
        "--batch-size",
        "7",
        "--workdir",
        workDir,
      ],
      { ...env, DCMX_LIBRARY: "" },
    );
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.include("[worker 1] ").and.include("[worker 2] ");
    expect(run.output).to.not.include(new URL(services.postgres.url).password);
    // Each worker reports the whole catalog minted, whoever minted each track.
    expect(await minted(join(workDir, "worker-1"))).to.equal(TRACKS);
    expect(await minted(join(workDir, "worker-2"))).to.equal(TRACKS);
    await expectMintedOnce(services.postgres.url, services.node.url, TRACKS);
    const puts = audioPuts(services.proxy);
    expect(puts.size).to.equal(TRACKS);
    expect(
      [...puts.values()].every((n) => n === 1),
      JSON.stringify([...puts]),
    ).to.equal(true);
    const db = new pg.Client({ connectionString: services.postgres.url });
    await db.connect();
    try {
      // --batch-size 7 reached the minter: 20 tracks take at least three transactions.
      const { rows } = await db.query("SELECT COUNT(DISTINCT tx_hash) AS n FROM minted");
      expect(Number(rows[0].n)).to.be.at.least(3);
    } finally {
      await db.end();
    }
  });

  it("dcmx worker set up to share mints a catalog of its own exactly once", async () => {
    const url = await services.database("alone");
    const workDir = join(services.dir, "dcmx-worker");
    const run = await runDcmx(["worker", "--network", "localhost"], {
      ...services.env(url),
      DCMX_WORKDIR: workDir,
    });
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.not.include(new URL(url).password);
    expect(await minted(workDir)).to.equal(TRACKS);
    await expectMintedOnce(url, services.node.url, TRACKS);
  });
});
