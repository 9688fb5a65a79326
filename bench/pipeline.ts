/**
 * The pipeline against a bare upload loop, on one seeded library of WAV tracks (a real RIFF header and
 * tags, seeded PCM: the scan detects audio by its bytes), all on this machine:
 *   (a) bare:     per file, lib-storage `Upload` to the local S3 server, then `addByteStream` + pin on an
 *                 embedded Helia node, MAX_CONCURRENT_UPLOADS files at a time;
 *   (b) pipeline: runPipeline (scan, hash & CID, S3 + IPFS, metadata, pin, verify, mint) into a fresh work
 *                 directory, with the same S3 server as its Storj primary, a Helia node of the same kind
 *                 and Hardhat's in-process chain;
 *   (c) re-run:   (b) again on the same work directory and chain: it must upload and send nothing.
 * (c) runs in the same process as (b) because the in-process chain ends with its process. Each of (b) and
 * (c) opens its storage like a real run does; that start-up is printed, not timed. (a) runs in a child
 * process so each side's peak RSS is its own.
 * Run with `npm run bench:pipeline` (`hardhat run`, for the in-process chain), as a user runs the main command.
 * BENCH_TRACKS and BENCH_TRACK_MB shrink it for a quick check (defaults 100 × 4 MB).
 * The last line is `pipeline-ratio <R> rerun-ratio <Q> peak-rss-mb <M>`, R = (b)/(a), Q = (c)/(b).
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import { Upload } from "@aws-sdk/lib-storage";
import { unixfs } from "@helia/unixfs";
import type { NetworkConnection } from "hardhat/types/network";
import pLimit from "p-limit";
import { loadPipelineConfig } from "../pipeline/config/pipeline-config.js";
import { importerOptions } from "../pipeline/content/profiles.js";
import { DEFAULT_CID_PROFILE } from "../pipeline/content/types.js";
import { chainSetupFrom } from "../pipeline/hardhat/chain-setup.js";
import { EmbeddedIpfsNode } from "../pipeline/providers/ipfs/helia-node.js";
import { createS3Client } from "../pipeline/providers/s3/client.js";
import type { S3ProviderConfig } from "../pipeline/providers/s3/config.js";
import { localS3Config, startLocalS3 } from "../pipeline/providers/s3/local-s3.js";
import { type RunEvent, RunEvents } from "../pipeline/report/events.js";
import { LineProgress } from "../pipeline/report/progress.js";
import type { RunSummary } from "../pipeline/report/report.js";
import type { ChainSetup } from "../pipeline/run/deployment.js";
import { runPipeline } from "../pipeline/run/run-pipeline.js";
import { StorageSet } from "../pipeline/storage/storage-set.js";
import { makeWavLibrary } from "./wav-library.js";

const MB = 1_000_000;
const TRACKS = Number(process.env.BENCH_TRACKS ?? 100);
const TRACK_BYTES = Number(process.env.BENCH_TRACK_MB ?? 4) * MB;
const OUT = join(import.meta.dirname, ".out", "pipeline");
const LIBRARY = join(OUT, `library-${TRACKS}x${TRACK_BYTES / MB}MB`);
const makeLibrary = () => makeWavLibrary(LIBRARY, TRACKS, TRACK_BYTES);

// ---- measuring ----------------------------------------------------------------------------------------

/**
 * When each stage was busy. Stages overlap across tracks, so a stage's cost is the union of its calls'
 * intervals (wall time during which at least one call was running), not their sum.
 */
class StageClock {
  readonly #spans = new Map<string, Array<[number, number]>>();
  readonly #order: string[] = [];

  record(stage: string, start: number, end: number): void {
    if (!this.#spans.has(stage)) {
      this.#spans.set(stage, []);
      this.#order.push(stage);
    }
    this.#spans.get(stage)!.push([start, end]);
  }

  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.record(stage, start, performance.now());
    }
  }

  /** Replaces `target[method]` by a timed call; a returned stream counts until it is read to its end. */
  wrap<T extends object>(target: T, method: keyof T & string, stageOf: (...args: never[]) => string): void {
    const original = target[method] as (...args: unknown[]) => unknown;
    const record = (stage: string, start: number) => this.record(stage, start, performance.now());
    Object.assign(target, {
      [method]: async (...args: never[]) => {
        const start = performance.now();
        const result = await original.apply(target, args);
        const stage = stageOf(...args);
        if (result instanceof Readable) finished(result).finally(() => record(stage, start));
        else record(stage, start);
        return result;
      },
    });
  }

  /** First start and last end over every stage whose name contains `part`. */
  window(part: string): [number, number] | undefined {
    const spans = [...this.#spans].filter(([stage]) => stage.includes(part)).flatMap(([, list]) => list);
    if (spans.length === 0) return undefined;
    return [Math.min(...spans.map((x) => x[0])), Math.max(...spans.map((x) => x[1]))];
  }

  /** Per stage: calls, busy (union of intervals) and in flight (sum of call times / busy). */
  rows(): string[] {
    return this.#order.map((stage) => {
      const spans = this.#spans.get(stage)!.sort((x, y) => x[0] - y[0]);
      let busy = 0;
      let total = 0;
      let reach = Number.NEGATIVE_INFINITY;
      for (const [start, end] of spans) {
        busy += Math.max(0, end - Math.max(start, reach));
        total += end - start;
        reach = Math.max(reach, end);
      }
      const inFlight = busy > 0 ? (total / busy).toFixed(1) : "-";
      const each = (total / spans.length).toFixed(0);
      return `    ${stage.padEnd(26)} ${String(spans.length).padStart(5)} calls, ${each.padStart(5)} ms each, ${seconds(busy).padStart(6)} s busy, ${inFlight.padStart(4)} in flight on average`;
    });
  }
}

/** Samples memory while a run goes on, to tell which part of a peak is V8 heap and which is buffers. */
class MemorySampler {
  readonly peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
  readonly #timer = setInterval(() => this.sample(), 50);

  sample(): void {
    const usage = process.memoryUsage();
    for (const key of ["rss", "heapTotal", "heapUsed", "external"] as const)
      this.peak[key] = Math.max(this.peak[key], usage[key] / 1024 / 1024);
  }

  stop(): string {
    clearInterval(this.#timer);
    this.sample();
    const { rss, heapTotal, heapUsed, external } = this.peak;
    return `sampled peaks: rss ${rss.toFixed(0)} MB, V8 heap ${heapUsed.toFixed(0)} MB used of ${heapTotal.toFixed(0)} MB, buffers ${external.toFixed(0)} MB`;
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/** CPU seconds (user + system, every thread) this process has used. */
const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** CPU seconds another process has used, from /proc (Linux): utime + stime, in clock ticks of 1/100 s. */
async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Both sides share one 2-core machine with the S3 server, so CPU time explains most of a ratio. */
const cpuLine = (own: number, server: number) =>
  `CPU ${(own + server).toFixed(1)} s (${own.toFixed(1)} s its process, ${server.toFixed(1)} s the S3 server)`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

// ---- (a) the bare loop --------------------------------------------------------------------------------

async function bareLoop(
  files: string[],
  s3: S3ProviderConfig,
  concurrency: number,
): Promise<{ ms: number; rows: string[]; cpuSeconds: number }> {
  const clock = new StageClock();
  const node = await new EmbeddedIpfsNode().start({ directory: join(OUT, "bare-ipfs") });
  // The pipeline's own client settings (path-style, checksums when required, keep-alive).
  const client = createS3Client(s3);
  const fs = unixfs(node.helia);
  const { onProgress: _none, ...options } = importerOptions(DEFAULT_CID_PROFILE);
  const limit = pLimit(concurrency);
  try {
    const cpuBefore = ownCpuSeconds();
    const ms = await timed(() =>
      Promise.all(
        files.map((path, i) =>
          limit(async () => {
            await clock.time("audio → S3", () =>
              new Upload({
                client,
                params: { Bucket: s3.bucket, Key: `bare/${i}.wav`, Body: createReadStream(path) },
                partSize: s3.partSizeBytes,
              }).done(),
            );
            await clock.time("audio → ipfs", async () => {
              const cid = await fs.addByteStream(createReadStream(path), options);
              for await (const _ of node.helia.pins.add(cid)) {
                // draining pins.add is what pins, as `ipfs add` does by default
              }
            });
          }),
        ),
      ),
    );
    return { ms, rows: clock.rows(), cpuSeconds: ownCpuSeconds() - cpuBefore };
  } finally {
    client.destroy();
    await node.stop();
  }
}

// ---- (b), (c) the pipeline ----------------------------------------------------------------------------

/**
 * Per-track lines would drown the numbers: successes are left out, warnings counted (the first shown),
 * everything else printed as the CLI prints it.
 */
class QuietProgress {
  readonly events = new RunEvents().on((event) => this.#on(event));
  readonly #lines = new LineProgress();
  startedAt = 0;
  #warnings: string[] = [];

  #on(event: RunEvent): void {
    if (event.type === "started") this.startedAt = performance.now();
    if (event.type === "warning") this.#warnings.push(event.message);
    else if (event.type === "problem" && event.problem.severity === "warning")
      this.#warnings.push(event.problem.message);
    else if (event.type === "finished" && this.#warnings.length > 0) {
      console.log(`${this.#warnings.length} warnings, the first:\n  ! ${this.#warnings[0]}`);
      this.#warnings = [];
    } else if (
      event.type !== "done" &&
      event.type !== "minted" &&
      !(event.type === "notice" && event.message.trim() === "")
    )
      this.#lines.render(event);
  }
}

function instrument(clock: StageClock, storage: StorageSet, chain: ChainSetup): void {
  type Kind = { kind: string };
  clock.wrap(storage.storj, "put", (request: Kind) => `${request.kind} → S3`);
  for (const provider of storage.ipfs) {
    clock.wrap(provider, "put", (request: Kind) => `${request.kind} → ${provider.name}`);
    clock.wrap(provider, "get", (object: Kind) => `verify: read ${object.kind} back`);
  }
  clock.wrap(chain, "deploy", () => "deploy (Ignition)");
  clock.wrap(chain.publicClient, "readContract", () => "mint: chain check");
  clock.wrap(chain.publicClient, "simulateContract", () => "mint: simulate");
  clock.wrap(chain.walletClient, "writeContract", () => "mint: send");
  clock.wrap(chain.publicClient, "waitForTransactionReceipt", () => "mint: receipt");
}

async function pipelineRun(
  label: string,
  env: Record<string, string>,
  connection: NetworkConnection,
  serverPid: number,
): Promise<{ ms: number; report: RunSummary }> {
  const config = loadPipelineConfig(env);
  const opening = performance.now();
  const storage = await StorageSet.open({ env, workDir: config.workDir });
  const openMs = performance.now() - opening;
  try {
    const chain = await chainSetupFrom(connection, { workDir: config.workDir });
    const clock = new StageClock();
    const progress = new QuietProgress();
    instrument(clock, storage, chain);
    const memory = new MemorySampler();
    const [cpuBefore, serverBefore] = [ownCpuSeconds(), await cpuSecondsOf(serverPid)];
    const started = performance.now();
    const { summary: report } = await runPipeline({ config, storage, chain, progress: progress.events });
    const ms = performance.now() - started;
    const cpu = cpuLine(ownCpuSeconds() - cpuBefore, (await cpuSecondsOf(serverPid)) - serverBefore);
    const memoryLine = memory.stop();
    clock.record("scan: find the audio files", started, progress.startedAt);
    const t = report.totals;
    console.log(
      `${label}: ${seconds(ms)} s, ${((t.tracks / ms) * 60_000).toFixed(1)} tracks/min, ${t.successful}/${t.tracks} ok, ` +
        `${t.failed} failed, ${t.pending} pending, uploaded ${(t.uploadedBytes / MB).toFixed(0)} MB, ` +
        `${t.mintTransactions} mint transactions (storage start-up ${seconds(openMs)} s, not timed), ${cpu}`,
    );
    for (const row of clock.rows()) console.log(row);
    const audio = clock.window("audio →");
    if (audio !== undefined) {
      console.log(
        `    audio uploads ran from ${seconds(audio[0] - started)} s to ${seconds(audio[1] - started)} s;` +
          ` before them ${seconds(audio[0] - started)} s (finding audio, hashing the first track, deploy), after them ${seconds(started + ms - audio[1])} s (last metadata, verify, mint, report)`,
      );
    }
    console.log(`    ${memoryLine}`);
    return { ms, report };
  } finally {
    await storage.close();
  }
}

// ---- main ---------------------------------------------------------------------------------------------

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");

/** (a) in a child process without Hardhat: `--bare <json>` is that child's mode. */
async function bareInChild(files: string[], s3: S3ProviderConfig, concurrency: number) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", import.meta.filename, "--bare", JSON.stringify({ files, s3, concurrency })],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as { ms: number; rows: string[]; peakRssMb: number; cpuSeconds: number };
}

async function main(): Promise<void> {
  console.log(`load average (1, 5, 15 min) before: ${load()}`);
  const files = await makeLibrary();
  const totalMb = (await Promise.all(files.map((f) => stat(f)))).reduce((s, f) => s + f.size, 0) / MB;
  const concurrency = loadPipelineConfig({
    MAX_CONCURRENT_UPLOADS: process.env.MAX_CONCURRENT_UPLOADS,
  }).maxConcurrentUploads;
  console.log(`library: ${files.length} WAV tracks, ${totalMb.toFixed(0)} MB, concurrency ${concurrency}`);
  const perMinute = (ms: number) => ((files.length / ms) * 60_000).toFixed(1);

  // Stored copies (~2× the library) go after the run; the library stays for the next one.
  const clean = () =>
    Promise.all(["s3", "bare-ipfs", "work"].map((d) => rm(join(OUT, d), { recursive: true, force: true })));
  await clean();
  const s3 = await startLocalS3({ directory: join(OUT, "s3") });
  let times: { a: number; b: number; c: number };
  try {
    const server = localS3Config(s3);
    const serverBefore = await cpuSecondsOf(s3.pid);
    const a = await bareInChild(files, server, concurrency);
    const serverCpu = (await cpuSecondsOf(s3.pid)) - serverBefore;
    console.log(
      `(a) bare loop: ${seconds(a.ms)} s, ${perMinute(a.ms)} tracks/min, peak RSS ${a.peakRssMb.toFixed(0)} MB (its own process), ${cpuLine(a.cpuSeconds, serverCpu)}`,
    );
    for (const row of a.rows) console.log(row);
    const env = {
      DCMX_LIBRARY: LIBRARY,
      DCMX_WORKDIR: join(OUT, "work"),
      IPFS_GATEWAY_PORT: "0",
      MAX_CONCURRENT_UPLOADS: String(concurrency),
      // The same S3 server as (a), as the Storj primary.
      STORJ_ENDPOINT: s3.endpoint,
      STORJ_BUCKET: s3.bucket,
      STORJ_REGION: s3.region,
      STORJ_ACCESS_KEY: s3.accessKeyId,
      STORJ_SECRET_KEY: s3.secretAccessKey,
      STORJ_PART_SIZE_MB: String(server.partSizeBytes / 1024 / 1024),
    };
    // One in-process chain for (b) and (c): the re-run must find the tokens (b) minted.
    const { network } = await import("hardhat");
    const connection = await network.create();
    const loaded = new MemorySampler();
    console.log(`Hardhat and its chain loaded: peak RSS ${peakRssMb().toFixed(0)} MB, ${loaded.stop()}`);
    const b = await pipelineRun("(b) pipeline", env, connection, s3.pid);
    if (b.report.totals.successful !== files.length)
      throw new Error(`(b) minted ${b.report.totals.successful} of ${files.length} tracks`);
    console.log(`    peak RSS so far ${peakRssMb().toFixed(0)} MB`);
    const c = await pipelineRun("(c) re-run", env, connection, s3.pid);
    if (c.report.totals.uploadedBytes !== 0 || c.report.totals.mintTransactions !== 0)
      throw new Error("(c) the re-run uploaded or sent a transaction");
    times = { a: a.ms, b: b.ms, c: c.ms };
  } finally {
    await s3.stop();
    await clean();
  }
  console.log(`load average (1, 5, 15 min) after: ${load()}`);
  console.log(
    `pipeline-ratio ${(times.b / times.a).toFixed(3)} rerun-ratio ${(times.c / times.b).toFixed(3)} peak-rss-mb ${peakRssMb().toFixed(0)}`,
  );
}

if (process.argv[2] === "--bare") {
  const { files, s3, concurrency } = JSON.parse(process.argv[3]!);
  const result = await bareLoop(files, s3, concurrency);
  console.log(JSON.stringify({ ...result, peakRssMb: peakRssMb() }));
} else await main();
