/**
 * The load run of the reliability suite, too slow for CI: a library of 1,000 small tracks through the
 * main command (`hardhat run scripts/mint-library.ts --network localhost`) as a separate process, against
 * a real `hardhat node`, with the embedded S3 server and IPFS node on loopback. It checks that every track
 * is minted exactly once (one token and one TrackMinted event per content hash), then runs again, which
 * must upload and send nothing.
 * Run with `npm run bench:load`; LOAD_TRACKS changes the size (default 1000). The library (0.1 s sox tones,
 * tagged through metadata.json) is made once under bench/.out/load and reused.
 * The last line is `load-tracks <N> minted <M> seconds <S> tracks-per-min <T> peak-rss-mb <R> rerun-seconds <Q>`;
 * peak RSS is the pipeline process's own (GNU time's maximum resident set size).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { createPublicClient, http } from "viem";
import { tracksAbi } from "../pipeline/chain/tracks-abi.js";
import { RunReportSchema } from "../pipeline/report/report.js";
import { toneWav } from "../test/support/audio-fixtures.js";
import { startHardhatNode } from "../test/support/hardhat-node.js";

const TRACKS = Number(process.env.LOAD_TRACKS ?? 1000);
const LIBRARY = join(import.meta.dirname, ".out", "load", `library-${TRACKS}`);
const HARDHAT = join(import.meta.dirname, "..", "node_modules", ".bin", "hardhat");

/** 0.1 s tones of distinct frequencies (distinct bytes), with title and artist from metadata.json. */
async function makeLibrary(): Promise<void> {
  const metadataFile = join(LIBRARY, "metadata.json");
  if (existsSync(metadataFile)) return;
  await mkdir(LIBRARY, { recursive: true });
  const limit = pLimit(4);
  const entries: Record<string, { title: string; artist: string }> = {};
  await Promise.all(
    Array.from({ length: TRACKS }, (_, i) =>
      limit(async () => {
        const stem = `load-${String(i + 1).padStart(4, "0")}`;
        await toneWav(join(LIBRARY, `${stem}.wav`), 0.1, 100 + i);
        entries[stem] = { title: `Load Track ${i + 1}`, artist: "DCMX Load Artist" };
      }),
    ),
  );
  await writeFile(metadataFile, JSON.stringify(entries));
}

/** The main command under GNU time; resolves with its exit code, seconds taken and peak RSS in MB. */
function mintLibrary(
  env: Record<string, string>,
): Promise<{ code: number | null; seconds: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(
    "/usr/bin/time",
    ["-f", "peak-rss-kb %M", HARDHAT, "run", "--network", "localhost", "scripts/mint-library.ts"],
    { env: { ...process.env, CI: "true", ...env }, stdio: ["ignore", "inherit", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  return new Promise((resolve) => {
    child.on("exit", (code) => {
      const kb = Number(stderr.match(/peak-rss-kb (\d+)/)?.[1] ?? Number.NaN);
      resolve({ code, seconds: (performance.now() - started) / 1000, rssMb: kb / 1024 });
    });
  });
}

async function main(): Promise<void> {
  await makeLibrary();
  const work = await mkdtemp(join(tmpdir(), "dcmx-load-"));
  const node = await startHardhatNode();
  try {
    const env = {
      DCMX_LIBRARY: LIBRARY,
      DCMX_WORKDIR: join(work, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
    };
    const first = await mintLibrary(env);
    if (first.code !== 0) throw new Error(`the load run exited ${first.code}`);
    const report = RunReportSchema.parse(
      JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")),
    );
    const client = createPublicClient({ transport: http(node.url) });
    const address = report.chain!.contract as `0x${string}`;
    const supply = await client.readContract({ address, abi: tracksAbi, functionName: "totalSupply" });
    const events = await client.getContractEvents({
      address,
      abi: tracksAbi,
      eventName: "TrackMinted",
      fromBlock: 0n,
    });
    const hashes = new Set(events.map((e) => e.args.contentHash));
    if (report.totals.successful !== TRACKS || supply !== BigInt(TRACKS) || hashes.size !== events.length)
      throw new Error(
        `not exactly once: ${report.totals.successful} minted in the report, supply ${supply}, ${events.length} events for ${hashes.size} hashes`,
      );

    const again = await mintLibrary(env);
    const rerun = RunReportSchema.parse(
      JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")),
    );
    if (again.code !== 0 || rerun.totals.uploadedBytes !== 0 || rerun.totals.mintTransactions !== 0)
      throw new Error(`the re-run was not a no-op: exit ${again.code}, ${JSON.stringify(rerun.totals)}`);

    console.log(
      `\nload-tracks ${TRACKS} minted ${Number(supply)} seconds ${first.seconds.toFixed(1)} tracks-per-min ${((TRACKS / first.seconds) * 60).toFixed(0)} peak-rss-mb ${first.rssMb.toFixed(0)} rerun-seconds ${again.seconds.toFixed(1)}`,
    );
  } finally {
    await node.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
