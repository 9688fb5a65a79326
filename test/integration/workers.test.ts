import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import pg from "pg";
import { createPublicClient, http } from "viem";
import { makeWavLibrary } from "../../bench/wav-library.js";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { type LocalS3, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { type KuboStandIn, startKuboStandIn } from "../support/ipfs-service/kubo-rpc.js";
import { type Postgres, startPostgres } from "../support/postgres.js";

const TRACKS = 300;

/**
 * Issue #18's multi-worker test: three worker processes (the README's main job with DCMX_WORKER), each
 * with its own work directory, on one PostgreSQL ledger, one S3 bucket (s3rver behind a counting proxy),
 * one Kubo (stand-in: a remote IPFS backend) and one `hardhat node`. One worker is SIGKILLed as soon as it
 * has finished a track, and restarted.
 */
describe("workers sharing a PostgreSQL ledger", function () {
  this.timeout(600_000);
  let dir: string;
  let postgres: Postgres;
  let s3: LocalS3;
  let proxy: FaultProxy;
  let kubo: KuboStandIn;
  let node: HardhatNode;
  let library: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-workers-"));
    library = join(dir, "library");
    [postgres, s3, kubo, node] = await Promise.all([
      startPostgres(),
      startLocalS3({ directory: join(dir, "s3") }),
      startKuboStandIn({ invisibleMs: 200 }),
      startHardhatNode(),
      makeWavLibrary(library, TRACKS, 2_000, { spread: 2_000, concurrency: 16 }),
    ]);
    proxy = await startFaultProxy(s3.endpoint);
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([postgres?.stop(), s3?.stop(), kubo?.close(), node?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const worker = (n: number) => ({
    DCMX_WORKER: "true",
    DCMX_DATABASE_URL: postgres.url,
    DCMX_WORKDIR: join(dir, `worker-${n}`),
    DCMX_LIBRARY: library,
    DCMX_WORKER_LEASE_SECONDS: "3",
    DCMX_MINT_BATCH: "20",
    LOCALHOST_RPC_URL: node.url,
    STORJ_ACCESS_KEY: s3.accessKeyId,
    STORJ_SECRET_KEY: s3.secretAccessKey,
    STORJ_BUCKET: s3.bucket,
    STORJ_ENDPOINT: proxy.url,
    KUBO_RPC_URL: kubo.url,
    KUBO_GATEWAY_URL: kubo.gatewayUrl,
    IPFS_READBACK_WINDOW_SECONDS: "10",
    IPFS_GATEWAY_PORT: "0",
  });

  it("mints every track exactly once, uploads nothing twice that was recorded, and leaves the ledger consistent", async () => {
    const together = { compile: false };
    const first = runMintLibrary(worker(1), {}, together);
    const killed = runMintLibrary(worker(2), { signal: "SIGKILL", onOutput: "  ✓ " }, together);
    const third = runMintLibrary(worker(3), {}, together);
    const dead = await killed;
    expect(dead.signal, dead.output).to.equal("SIGKILL");
    const restarted = runMintLibrary(worker(2), {}, together);
    const runs = await Promise.all([first, restarted, third]);
    for (const run of runs) {
      expect(run.code, run.output).to.equal(0);
      expect(run.output).to.not.include(new URL(postgres.url).password);
    }
    for (const n of [1, 2, 3]) {
      const report = RunReportSchema.parse(
        JSON.parse(await readFile(join(dir, `worker-${n}`, "report.json"), "utf8")),
      );
      expect(report.totals, `worker ${n}`).to.include({ failed: 0, pending: 0 });
      expect(
        report.tracks.filter((t) => t.status === "minted"),
        `worker ${n}`,
      ).to.have.length(TRACKS);
    }

    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
      expect(await count("SELECT COUNT(*) AS n FROM tracks")).to.equal(TRACKS);
      expect(await count("SELECT COUNT(*) AS n FROM minted")).to.equal(TRACKS);
      expect(await count("SELECT COUNT(DISTINCT token_id) AS n FROM minted")).to.equal(TRACKS);
      expect(await count("SELECT COUNT(*) AS n FROM deployments")).to.equal(1);
      expect(await count("SELECT COUNT(*) AS n FROM tracks WHERE verified_metadata_cid IS NULL")).to.equal(0);
      expect(await count("SELECT COUNT(*) AS n FROM tracks WHERE failure_stage IS NOT NULL")).to.equal(0);
      expect(await count("SELECT COUNT(*) AS n FROM mint_queue")).to.equal(0);
      expect(await count("SELECT COUNT(*) AS n FROM pending_mints")).to.equal(0);
      expect(await count("SELECT COUNT(*) AS n FROM claims"), "every claim released").to.equal(0);
      const copies = await db.query(
        "SELECT provider, COUNT(*) AS n FROM stored WHERE kind = 'audio' GROUP BY provider ORDER BY provider",
      );
      const byProvider = Object.fromEntries(copies.rows.map((r) => [r.provider, Number(r.n)]));
      expect(byProvider.storj, JSON.stringify(byProvider)).to.equal(TRACKS);
      expect(byProvider.kubo, JSON.stringify(byProvider)).to.equal(TRACKS);

      // The chain: one collection, one token per content hash, and nothing else minted.
      const [{ contract }] = (await db.query("SELECT contract FROM deployments")).rows;
      const client = createPublicClient({ transport: http(node.url) });
      const read = { address: contract as `0x${string}`, abi: tracksAbi } as const;
      expect(await client.readContract({ ...read, functionName: "totalSupply" })).to.equal(BigInt(TRACKS));
      const tokens = new Set<bigint>();
      for (const { sha256 } of (await db.query("SELECT sha256 FROM tracks")).rows) {
        tokens.add(
          await client.readContract({
            ...read,
            functionName: "tokenOfContentHash",
            args: [`0x${sha256}`],
          }),
        );
      }
      expect(tokens.size).to.equal(TRACKS);
      expect(tokens.has(0n)).to.equal(false);
    } finally {
      await db.end();
    }

    // Uploads: each audio object once, except the few the killed worker had sent but not yet recorded
    // (at most its tracks in flight: 2 × MAX_CONCURRENT_UPLOADS).
    const puts = new Map<string, number>();
    for (const entry of proxy.log) {
      if (entry.method !== "PUT" || !entry.url.includes("/audio/")) continue;
      const key = entry.url.split("?")[0]!;
      puts.set(key, (puts.get(key) ?? 0) + 1);
    }
    expect(puts.size).to.equal(TRACKS);
    const again = [...puts.values()].filter((n) => n > 1);
    expect(again.length, `objects sent more than once: ${again.length}`).to.be.at.most(10);
    expect(Math.max(...puts.values())).to.be.at.most(2);
  });
});
