import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import pg from "pg";
import { createPublicClient, http } from "viem";
import { makeWavLibrary } from "../../bench/wav-library.js";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { type LocalS3, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";
import { type HardhatNode, startHardhatNode } from "./hardhat-node.js";
import { type KuboStandIn, startKuboStandIn } from "./ipfs-service/kubo-rpc.js";
import { type Postgres, startPostgres } from "./postgres.js";

/**
 * What workers on several machines share, on loopback: a PostgreSQL ledger, one S3 bucket (s3rver behind a
 * counting proxy), a remote IPFS backend (the Kubo stand-in) and a `hardhat node`, with a library of
 * `tracks` tiny WAV files (~2-4 KB).
 */
export interface WorkerServices {
  dir: string;
  library: string;
  postgres: Postgres;
  s3: LocalS3;
  proxy: FaultProxy;
  kubo: KuboStandIn;
  node: HardhatNode;
  /** The variables every worker sets alike, on the ledger at `databaseUrl` (default the test's database). */
  env(databaseUrl?: string): Record<string, string>;
  /** A new empty database on the same server: a catalog of its own. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startWorkerServices(tracks: number): Promise<WorkerServices> {
  const dir = await mkdtemp(join(tmpdir(), "dcmx-workers-"));
  const library = join(dir, "library");
  const [postgres, s3, kubo, node] = await Promise.all([
    startPostgres(),
    startLocalS3({ directory: join(dir, "s3") }),
    startKuboStandIn({ invisibleMs: 200 }),
    startHardhatNode(),
    makeWavLibrary(library, tracks, 2_000, { spread: 2_000, concurrency: 16 }),
  ]);
  const proxy = await startFaultProxy(s3.endpoint);
  return {
    dir,
    library,
    postgres,
    s3,
    proxy,
    kubo,
    node,
    env: (databaseUrl = postgres.url) => ({
      DCMX_DATABASE_URL: databaseUrl,
      DCMX_LIBRARY: library,
      // A waiting worker looks again every second (a third of the lease), and a dead one's claims soon expire.
      DCMX_WORKER_LEASE_SECONDS: "3",
      LOCALHOST_RPC_URL: node.url,
      STORJ_ACCESS_KEY: s3.accessKeyId,
      STORJ_SECRET_KEY: s3.secretAccessKey,
      STORJ_BUCKET: s3.bucket,
      STORJ_ENDPOINT: proxy.url,
      KUBO_RPC_URL: kubo.url,
      KUBO_GATEWAY_URL: kubo.gatewayUrl,
      IPFS_READBACK_WINDOW_SECONDS: "10",
      IPFS_GATEWAY_PORT: "0",
    }),
    database: async (name) => {
      const db = new pg.Client({ connectionString: postgres.url });
      await db.connect();
      try {
        await db.query(`CREATE DATABASE "${name}"`);
      } finally {
        await db.end();
      }
      const url = new URL(postgres.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop: async () => {
      await proxy.close();
      await Promise.all([postgres.stop(), s3.stop(), kubo.close(), node.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The catalog in the ledger at `databaseUrl` is done, each track exactly once: one row per track in every
 * table that records it, nothing failed, queued, pending or claimed, both copies of each audio file
 * recorded, one collection, and on chain one token per content hash and nothing else.
 */
export async function expectMintedOnce(databaseUrl: string, nodeUrl: string, tracks: number): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
    expect(await count("SELECT COUNT(*) AS n FROM tracks")).to.equal(tracks);
    expect(await count("SELECT COUNT(*) AS n FROM minted")).to.equal(tracks);
    expect(await count("SELECT COUNT(DISTINCT token_id) AS n FROM minted")).to.equal(tracks);
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
    expect(byProvider.storj, JSON.stringify(byProvider)).to.equal(tracks);
    expect(byProvider.kubo, JSON.stringify(byProvider)).to.equal(tracks);

    const [{ contract }] = (await db.query("SELECT contract FROM deployments")).rows;
    const client = createPublicClient({ transport: http(nodeUrl) });
    const read = { address: contract as `0x${string}`, abi: tracksAbi } as const;
    expect(await client.readContract({ ...read, functionName: "totalSupply" })).to.equal(BigInt(tracks));
    const tokens = new Set<bigint>();
    for (const { sha256 } of (await db.query("SELECT sha256 FROM tracks")).rows) {
      tokens.add(
        await client.readContract({ ...read, functionName: "tokenOfContentHash", args: [`0x${sha256}`] }),
      );
    }
    expect(tokens.size).to.equal(tracks);
    expect(tokens.has(0n)).to.equal(false);
  } finally {
    await db.end();
  }
}

/** How often each audio object was sent to the S3 bucket, by key (PUTs through the counting proxy). */
export function audioPuts(proxy: FaultProxy): Map<string, number> {
  const puts = new Map<string, number>();
  for (const entry of proxy.log) {
    if (entry.method !== "PUT" || !entry.url.includes("/audio/")) continue;
    const key = entry.url.split("?")[0]!;
    puts.set(key, (puts.get(key) ?? 0) + 1);
  }
  return puts;
}
