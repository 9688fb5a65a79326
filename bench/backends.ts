/**
 * The pipeline through each remote IPFS backend, against its stand-in on this machine, on one seeded
 * library (bench/wav-library.ts): first with no remote backend (the baseline: embedded S3 and IPFS only),
 * then once per backend, each in a fresh work directory on Hardhat's in-process chain. Every backend meets
 * the same trouble a real service gives: 429s with and without Retry-After and uploads cut off by a 5xx
 * (scripted on its upload operation), and a gateway that hides each fresh upload for a second.
 * The numbers say what pushing, checking the reported CID and reading everything back costs per backend,
 * and how many retries the faults and the read-back window caused; the stand-ins run in this process, so
 * absolute times include their work (CAR import, block hashing) on the same 2 cores.
 * Run with `npm run bench:backends`; BENCH_TRACKS and BENCH_TRACK_MB shrink it (defaults 100 × 4 MB).
 * The last line is `backends tracks=<N> baseline-s=<S> <name>=<ratio>…`, ratio = run time / baseline time.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { loadPipelineConfig } from "../pipeline/config/pipeline-config.js";
import { chainSetupFrom } from "../pipeline/hardhat/chain-setup.js";
import { RunEvents } from "../pipeline/report/events.js";
import { runPipeline } from "../pipeline/run/run-pipeline.js";
import { StorageSet } from "../pipeline/storage/storage-set.js";
import type { Fault, FaultPlan } from "../test/support/ipfs-service/faults.js";
import { startFilebaseService } from "../test/support/ipfs-service/filebase.js";
import { ClusterStandIn } from "../test/support/ipfs-service/ipfs-cluster.js";
import { startKuboStandIn } from "../test/support/ipfs-service/kubo-rpc.js";
import { startLighthouseStandIn } from "../test/support/ipfs-service/lighthouse.js";
import { startPinataService } from "../test/support/ipfs-service/pinata.js";
import type { ServiceStore } from "../test/support/ipfs-service/service-store.js";
import { makeWavLibrary } from "./wav-library.js";

const MB = 1_000_000;
const TRACKS = Number(process.env.BENCH_TRACKS ?? 100);
const TRACK_BYTES = Number(process.env.BENCH_TRACK_MB ?? 4) * MB;
const OUT = join(import.meta.dirname, ".out", "backends");
const LIBRARY = join(OUT, `library-${TRACKS}x${TRACK_BYTES / MB}MB`);
/** How long each fresh upload 404s on the stand-in's gateway. */
const INVISIBLE_MS = 1_000;

/** The trouble every backend meets on its upload operation, in this order. */
const TROUBLE: Fault[] = [
  { kind: "rate-limit", retryAfter: 1 },
  { kind: "rate-limit" },
  { kind: "server-error", status: 503 },
  { kind: "rate-limit", retryAfter: 1 },
  { kind: "server-error", status: 502 },
];

/** A started stand-in: the variables that point the pipeline at it, and what it saw. */
interface Running {
  env: Record<string, string>;
  store: ServiceStore;
  faults: FaultPlan;
  close(): Promise<void>;
}

/** Each backend's stand-in, the operation its uploads go through, and how to configure it. */
const BACKENDS: Array<{ name: string; upload: string; start(): Promise<Running> }> = [
  {
    name: "kubo",
    upload: "dag/import",
    async start() {
      const s = await startKuboStandIn({ invisibleMs: INVISIBLE_MS, authSecrets: ["bearer:bench-token"] });
      return {
        ...s,
        env: { KUBO_RPC_URL: s.url, KUBO_RPC_AUTH: "Bearer bench-token", KUBO_GATEWAY_URL: s.gatewayUrl },
      };
    },
  },
  {
    name: "lighthouse",
    upload: "upload",
    async start() {
      const s = await startLighthouseStandIn({ apiKey: "bench-key", invisibleMs: INVISIBLE_MS });
      return {
        ...s,
        env: {
          LIGHTHOUSE_API_KEY: "bench-key",
          LIGHTHOUSE_API_URL: s.url,
          LIGHTHOUSE_GATEWAY_URL: s.gatewayUrl,
        },
      };
    },
  },
  {
    name: "ipfs-cluster",
    upload: "add",
    async start() {
      const s = await ClusterStandIn.start({ peers: 3, pinMs: 300, invisibleMs: INVISIBLE_MS });
      return {
        store: s.store,
        faults: s.faults,
        close: () => s.close(),
        env: {
          IPFS_CLUSTER_URL: s.url,
          IPFS_CLUSTER_REPLICATION: "2,3",
          IPFS_CLUSTER_GATEWAY_URL: s.gatewayUrl,
        },
      };
    },
  },
  {
    name: "pinata",
    upload: "upload",
    async start() {
      const s = await startPinataService({ jwt: "bench-jwt", invisibleMs: INVISIBLE_MS });
      return {
        ...s,
        env: {
          PINATA_JWT: "bench-jwt",
          PINATA_UPLOAD_URL: s.uploadUrl,
          PINATA_API_URL: s.apiUrl,
          PINATA_GATEWAY_URL: s.gatewayUrl,
        },
      };
    },
  },
  {
    name: "filebase",
    upload: "put",
    async start() {
      const keys = { accessKey: "BENCHACCESSKEY", secretKey: "bench-secret-key" };
      const s = await startFilebaseService({ ...keys, bucket: "bench", invisibleMs: INVISIBLE_MS });
      return {
        ...s,
        env: {
          FILEBASE_ACCESS_KEY: keys.accessKey,
          FILEBASE_SECRET_KEY: keys.secretKey,
          FILEBASE_BUCKET: "bench",
          FILEBASE_ENDPOINT: s.endpoint,
          FILEBASE_GATEWAY_URL: s.gateway,
        },
      };
    },
  },
];

/** Per-track lines would drown the numbers; failures and tracks left pending are printed. */
const quiet = new RunEvents().on((event) => {
  if (event.type === "failed") console.log(`    failed: ${event.file}: ${event.stage}: ${event.error}`);
  if (event.type === "pending") console.log(`    pending: ${event.file}: ${event.reason}`);
});

async function run(name: string, extra: Record<string, string>) {
  const workDir = join(OUT, `work-${name}`);
  await rm(workDir, { recursive: true, force: true });
  const env = { DCMX_LIBRARY: LIBRARY, DCMX_WORKDIR: workDir, IPFS_GATEWAY_PORT: "0", ...extra };
  const config = loadPipelineConfig(env);
  const storage = await StorageSet.open({ env, workDir });
  try {
    const { network } = await import("hardhat");
    const chain = await chainSetupFrom(await network.create(), { workDir });
    const started = performance.now();
    const { summary: report } = await runPipeline({ config, storage, chain, progress: quiet });
    return { seconds: (performance.now() - started) / 1000, totals: report.totals };
  } finally {
    await storage.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The scripted faults the client met on its upload operation (a stand-in may log other faults of its own). */
const scripted = (faults: FaultPlan, operation: string) =>
  `${faults.served.filter((served) => served.startsWith(`${operation}:`)).length}/${TROUBLE.length}`;

const files = await makeWavLibrary(LIBRARY, TRACKS, TRACK_BYTES);
console.log(
  `library: ${files.length} WAV tracks of ~${TRACK_BYTES / MB} MB; each fresh upload 404s for ${INVISIBLE_MS} ms`,
);
const baseline = await run("baseline", {});
console.log(
  `baseline (embedded S3 + IPFS only): ${baseline.seconds.toFixed(1)} s, ${baseline.totals.successful}/${baseline.totals.tracks} minted`,
);
const ratios: string[] = [];
for (const backend of BACKENDS) {
  const service = await backend.start();
  service.faults.next(backend.upload, ...TROUBLE);
  try {
    const result = await run(backend.name, service.env);
    const t = result.totals;
    console.log(
      `${backend.name}: ${result.seconds.toFixed(1)} s (${(result.seconds / baseline.seconds).toFixed(2)}× baseline), ` +
        `${t.successful}/${t.tracks} minted, ${t.failed} failed, ${t.pending} pending; ` +
        `${service.store.roots.size} roots held; retries: ${scripted(service.faults, backend.upload)} scripted faults met, ` +
        `${service.store.hiddenReads} read-backs answered 404 in the window`,
    );
    if (t.successful !== t.tracks) throw new Error(`${backend.name}: ${t.successful} of ${t.tracks} minted`);
    ratios.push(`${backend.name}=${(result.seconds / baseline.seconds).toFixed(2)}`);
  } finally {
    await service.close();
  }
}
console.log(`backends tracks=${TRACKS} baseline-s=${baseline.seconds.toFixed(1)} ${ratios.join(" ")}`);
