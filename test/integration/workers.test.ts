import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { runMintLibrary } from "../support/hardhat-node.js";
import {
  audioPuts,
  expectMintedOnce,
  startWorkerServices,
  type WorkerServices,
} from "../support/worker-services.js";

const TRACKS = 300;

/**
 * Issue #18's multi-worker test: three worker processes (the README's main job with DCMX_WORKER), each
 * with its own work directory, on one PostgreSQL ledger, one S3 bucket (s3rver behind a counting proxy),
 * one Kubo (stand-in: a remote IPFS backend) and one `hardhat node`. One worker is SIGKILLed as soon as it
 * has finished a track, and restarted.
 */
describe("workers sharing a PostgreSQL ledger", function () {
  this.timeout(600_000);
  let services: WorkerServices;

  before(async () => {
    services = await startWorkerServices(TRACKS);
  });
  after(() => services?.stop());

  const worker = (n: number) => ({
    ...services.env(),
    DCMX_WORKER: "true",
    DCMX_WORKDIR: join(services.dir, `worker-${n}`),
    DCMX_MINT_BATCH: "20",
  });

  it("mints every track exactly once, uploads nothing twice that was recorded, and leaves the ledger consistent", async () => {
    const first = runMintLibrary(worker(1));
    const killed = runMintLibrary(worker(2), { signal: "SIGKILL", onOutput: "  ✓ " });
    const third = runMintLibrary(worker(3));
    const dead = await killed;
    expect(dead.signal, dead.output).to.equal("SIGKILL");
    const restarted = runMintLibrary(worker(2));
    const runs = await Promise.all([first, restarted, third]);
    for (const run of runs) {
      expect(run.code, run.output).to.equal(0);
      expect(run.output).to.not.include(new URL(services.postgres.url).password);
    }
    for (const n of [1, 2, 3]) {
      const report = RunReportSchema.parse(
        JSON.parse(await readFile(join(services.dir, `worker-${n}`, "report.json"), "utf8")),
      );
      expect(report.totals, `worker ${n}`).to.include({ failed: 0, pending: 0 });
      expect(
        report.tracks.filter((t) => t.status === "minted"),
        `worker ${n}`,
      ).to.have.length(TRACKS);
    }
    await expectMintedOnce(services.postgres.url, services.node.url, TRACKS);

    // Uploads: each audio object once, except the few the killed worker had sent but not yet recorded
    // (at most its tracks in flight: 2 × MAX_CONCURRENT_UPLOADS).
    const puts = audioPuts(services.proxy);
    expect(puts.size).to.equal(TRACKS);
    const again = [...puts.values()].filter((n) => n > 1);
    expect(again.length, `objects sent more than once: ${again.length}`).to.be.at.most(10);
    expect(Math.max(...puts.values())).to.be.at.most(2);
  });
});
