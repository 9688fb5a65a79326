/**
 * A label's catalog: does the main job's cost per track stay flat as the catalog grows, and does its memory?
 * `npm run bench:catalog -- --tracks 100000 --baseline 10000` makes two libraries of tiny unique WAV tracks
 * (2-4 KB each, written directly, reused by later runs under bench/.out/catalog), then runs the README's main
 * job (`hardhat run scripts/mint-library.ts --network localhost`, a child process with the heap cap the project
 * gives it) on embedded defaults against a `hardhat node`: the baseline catalog (its own node), the full catalog
 * (a fresh node), then the full catalog again, which must upload and send nothing. Every run must mint every
 * track, counted from its JSON report and the contract's totalSupply; anything less fails the bench.
 * per-track-ratio divides the pipeline's own durations (the report's durationMs, scan to report): the run's
 * fixed start-up (Hardhat, the embedded node; several seconds) would otherwise make the larger catalog look
 * cheaper per track. rerun-s and tracks/min are wall-clock seconds of the whole run, as a user waits for it.
 * Peak RSS is the sum over the run's whole process tree (the `hardhat` launcher and the node it starts, and any
 * worker the run spawns), sampled every 250 ms; the largest single process is printed beside it. Each run's output goes to
 * bench/.out/catalog/<run>-<tracks>.log.
 * The last line is exactly
 *   catalog tracks=<N> baseline=<B> per-track-ratio=<t_N/N ÷ t_B/B> peak-rss-mb=<max over the N run> rerun-s=<S>
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, http } from "viem";
import { z } from "zod";
import { tracksAbi } from "../pipeline/chain/tracks-abi.js";
import { type RunReport, RunReportSchema } from "../pipeline/report/report.js";
import { startHardhatNode } from "../test/support/hardhat-node.js";
import { sampleTreeRss } from "./process-tree-rss.js";
import { makeWavLibrary } from "./wav-library.js";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(import.meta.dirname, ".out", "catalog");
const HARDHAT = join(ROOT, "node_modules", ".bin", "hardhat");
const TRACK_BYTES = 2048;
const MB = 1024 * 1024;

const ArgsSchema = z
  .object({
    tracks: z.coerce.number().int().positive(),
    baseline: z.coerce.number().int().positive(),
  })
  .refine((args) => args.baseline < args.tracks, {
    message: "--baseline must be smaller than --tracks (e.g. --tracks 100000 --baseline 10000)",
  });

const args = ArgsSchema.parse(
  parseArgs({
    options: {
      tracks: { type: "string", default: "100000" },
      baseline: { type: "string", default: "10000" },
    },
  }).values,
);

interface Run {
  label: string;
  tracks: number;
  seconds: number;
  peakRssMb: number;
  peakProcessRssMb: number;
  report: RunReport;
}

/** The library of `tracks` tiny tracks, made once (10k in 14 s on the loaded 2-core machine) and reused. */
async function library(tracks: number): Promise<string> {
  const dir = join(OUT, `library-${tracks}`);
  const started = performance.now();
  await makeWavLibrary(dir, tracks, TRACK_BYTES, { spread: TRACK_BYTES, concurrency: 16 });
  console.log(
    `catalog library of ${tracks} tracks ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return dir;
}

/** The main job as a child process on embedded defaults; resolves once it exits, with its report. */
async function mintLibrary(label: string, tracks: number, env: Record<string, string>): Promise<Run> {
  const log = join(OUT, `${label}-${tracks}.log`);
  const output = openSync(log, "w");
  const reportPath = join(env.DCMX_WORKDIR!, "report.json");
  await rm(reportPath, { force: true }); // a re-run's counts come from its own report, not the first run's
  // Embedded defaults: no shared database (the SQLite ledger in the work directory).
  const { DCMX_DATABASE_URL: _shared, ...inherited } = process.env;
  const started = performance.now();
  const child = spawn(HARDHAT, ["run", "--network", "localhost", "scripts/mint-library.ts"], {
    cwd: ROOT,
    env: { ...inherited, CI: "true", ...env },
    stdio: ["ignore", output, output],
  });
  const rss = sampleTreeRss(child.pid!);
  const progress = setInterval(
    () =>
      console.log(
        `catalog ${label}: ${((performance.now() - started) / 1000).toFixed(0)} s, RSS ${(rss.current / MB).toFixed(0)} MB (peak ${(rss.peak / MB).toFixed(0)} MB)`,
      ),
    60_000,
  );
  const [code] = (await once(child, "exit")) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  clearInterval(progress);
  rss.stop();
  closeSync(output);
  const report = await readFile(reportPath, "utf8").then(
    (text) => RunReportSchema.parse(JSON.parse(text)),
    () => undefined,
  );
  if (code !== 0 || report === undefined)
    throw new Error(
      `catalog ${label}: the main job exited ${code}${report ? ` with totals ${JSON.stringify(report.totals)}` : " and wrote no report"}; its output is in ${log}`,
    );
  return { label, tracks, seconds, peakRssMb: rss.peak / MB, peakProcessRssMb: rss.peakProcess / MB, report };
}

/** Every track minted (the report's tracks and totals, and the contract's supply), or the bench fails. */
async function assertAllMinted(run: Run, rpcUrl: string): Promise<void> {
  const counts: Record<string, number> = {};
  for (const track of run.report.tracks) counts[track.status] = (counts[track.status] ?? 0) + 1;
  const address = run.report.chain?.contract as `0x${string}` | undefined;
  const supply =
    address === undefined
      ? undefined
      : await createPublicClient({ transport: http(rpcUrl) }).readContract({
          address,
          abi: tracksAbi,
          functionName: "totalSupply",
        });
  const { totals } = run.report;
  if (
    counts.minted !== run.tracks ||
    totals.successful !== run.tracks ||
    totals.failed !== 0 ||
    totals.pending !== 0 ||
    supply !== BigInt(run.tracks)
  ) {
    const errors = run.report.tracks
      .filter((track) => track.error !== null)
      .slice(0, 5)
      .map((track) => `  ${track.file}: ${track.error}`);
    throw new Error(
      [
        `catalog ${run.label}: ${run.tracks} tracks expected minted, got statuses ${JSON.stringify(counts)}, totals ${JSON.stringify(totals)}, totalSupply ${supply}; see bench/.out/catalog/${run.label}-${run.tracks}.log`,
        ...errors,
      ].join("\n"),
    );
  }
}

const pipelineSeconds = (run: Run) => run.report.totals.durationMs / 1000;

function describe(run: Run): void {
  console.log(
    `catalog ${run.label}: ${run.tracks} tracks minted in ${run.seconds.toFixed(1)} s (pipeline ${pipelineSeconds(run).toFixed(1)} s), ${((run.tracks / run.seconds) * 60).toFixed(0)} tracks/min, peak RSS ${run.peakRssMb.toFixed(0)} MB (largest process ${run.peakProcessRssMb.toFixed(0)} MB)`,
  );
}

/** One catalog on its own `hardhat node` and work directory; `again` re-runs it on the same ones. */
async function catalog(label: string, tracks: number, again: boolean): Promise<Run[]> {
  const dir = await library(tracks);
  const work = await mkdtemp(join(tmpdir(), "dcmx-catalog-"));
  const node = await startHardhatNode();
  try {
    const env = {
      DCMX_LIBRARY: dir,
      DCMX_WORKDIR: join(work, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
    };
    const first = await mintLibrary(label, tracks, env);
    await assertAllMinted(first, node.url);
    describe(first);
    if (!again) return [first];
    const rerun = await mintLibrary(`${label}-rerun`, tracks, env);
    await assertAllMinted(rerun, node.url);
    const { uploadedBytes, mintTransactions } = rerun.report.totals;
    if (uploadedBytes !== 0 || mintTransactions !== 0)
      throw new Error(
        `catalog ${label}-rerun: a finished catalog sent ${uploadedBytes} bytes and ${mintTransactions} mint transactions again`,
      );
    describe(rerun);
    return [first, rerun];
  } finally {
    await node.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (existsSync(join(ROOT, ".env")))
  throw new Error(
    "bench:catalog runs on embedded defaults, but .env in the project folder would configure the run's providers: move it aside while benchmarking",
  );
const [base] = await catalog("baseline", args.baseline, false);
const [full, rerun] = await catalog("full", args.tracks, true);
const ratio = pipelineSeconds(full!) / args.tracks / (pipelineSeconds(base!) / args.baseline);
console.log(
  `catalog tracks=${args.tracks} baseline=${args.baseline} per-track-ratio=${ratio.toFixed(2)} peak-rss-mb=${full!.peakRssMb.toFixed(0)} rerun-s=${rerun!.seconds.toFixed(1)}`,
);
