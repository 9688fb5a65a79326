import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { expect } from "chai";
import pg from "pg";
import { RunReportSchema, readReport } from "../../pipeline/report/report.js";
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

  it("mint-library --workers 2 mints every track exactly once, each file sent once, with the task's flags in every worker, and reports the whole run in --report", async () => {
    const workDir = join(services.dir, "local");
    const reportPath = join(services.dir, "local-report.json");
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
        "--report",
        reportPath,
      ],
      { ...env, DCMX_LIBRARY: "" },
    );
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.include("[worker 1] ").and.include("[worker 2] ");
    expect(run.output).to.not.include(new URL(services.postgres.url).password);
    // Each worker reports the whole catalog minted in its own work directory, whoever minted each track.
    expect(await minted(join(workDir, "worker-1"))).to.equal(TRACKS);
    expect(await minted(join(workDir, "worker-2"))).to.equal(TRACKS);
    // --report is the run's: written once, after both workers, every file of the library once, and what
    // both workers did (each file's audio uploaded by one or the other; every mint transaction).
    const report = await readReport(reportPath);
    const workers = await Promise.all(
      ["worker-1", "worker-2"].map((worker) => readReport(join(workDir, worker, "report.json"))),
    );
    expect(
      report.finishedAt >= workers[0]!.finishedAt && report.finishedAt >= workers[1]!.finishedAt,
    ).to.equal(true);
    const library = (await readdir(services.library, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(services.library, join(entry.parentPath, entry.name)));
    expect(library).to.have.length(TRACKS);
    expect(report.tracks.map((t) => t.file).sort()).to.deep.equal(library.sort());
    expect(report.tracks.every((t) => t.status === "minted")).to.equal(true);
    expect(report.totals).to.include({ tracks: TRACKS, successful: TRACKS, failed: 0, pending: 0 });
    expect(report.totals.uploadedBytes).to.equal(
      workers[0]!.totals.uploadedBytes + workers[1]!.totals.uploadedBytes,
    );
    expect(report.totals.uploadedBytes, "every track's audio, by either worker").to.be.at.least(
      report.totals.bytes,
    );
    expect(run.output).to.include(`Report: ${reportPath}`);
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
      expect(report.totals.mintTransactions, "the run's mint transactions, by either worker").to.be.at.least(
        Number(rows[0].n),
      );
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
