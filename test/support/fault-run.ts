import { createHash } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { NetworkConnection } from "hardhat/types/network";
import type { PublicClient } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { chainSetupFrom } from "../../pipeline/hardhat/chain-setup.js";
import { Ledger, openLedger } from "../../pipeline/ledger/ledger.js";
import { deploymentKey } from "../../pipeline/ledger/records.js";
import { type RunEvent, RunEvents } from "../../pipeline/report/events.js";
import { LineProgress } from "../../pipeline/report/progress.js";
import { type RunReport, readReport } from "../../pipeline/report/report.js";
import type { ChainSetup } from "../../pipeline/run/deployment.js";
import { runPipeline } from "../../pipeline/run/run-pipeline.js";
import { StorageSet } from "../../pipeline/storage/storage-set.js";

export interface InProcessRun {
  report: RunReport;
  /** Everything the run printed: what a person sees. */
  lines: string[];
  /** What the run told its listeners, in order: what a program counts. */
  events: RunEvent[];
}

/**
 * The real pipeline (scan → store → metadata → verify → mint) in this process, on the embedded storage
 * defaults kept in `workDir` and the chain behind `connection`.
 */
export async function runInProcess(
  connection: NetworkConnection,
  env: Record<string, string>,
  options: {
    chain?: (setup: ChainSetup) => ChainSetup;
    /** Sees the run's storage before the run starts (to act when a provider is called). */
    storage?: (storage: StorageSet) => void;
    /** Sees the run's ledger before the run starts (to count what the run asks of it). */
    ledger?: (ledger: Ledger) => void;
  } = {},
): Promise<InProcessRun> {
  const full = { IPFS_GATEWAY_PORT: "0", ...env };
  const config = loadPipelineConfig(full);
  const lines: string[] = [];
  const events: RunEvent[] = [];
  const renderer = new LineProgress((line) => lines.push(line));
  const ledger = await openLedger(config);
  const storage = await StorageSet.open({ env: full, workDir: config.workDir }).catch(async (error) => {
    await ledger.close();
    throw error;
  });
  options.storage?.(storage);
  options.ledger?.(ledger);
  try {
    const { reportPath } = await runPipeline({
      config,
      storage,
      chain: (options.chain ?? ((setup) => setup))(
        await chainSetupFrom(connection, { workDir: config.workDir }),
      ),
      progress: new RunEvents().on((event) => {
        events.push(event);
        renderer.render(event);
      }),
      ledger,
    });
    return { report: await readReport(reportPath), lines, events };
  } finally {
    await storage.close();
    await ledger.close();
  }
}

/** Every minted track of the report has exactly its token on chain, and the supply counts nothing else. */
export async function assertChainMatches(client: PublicClient, report: RunReport): Promise<void> {
  const address = report.chain!.contract as `0x${string}`;
  const minted = report.tracks.filter((t) => t.status === "minted");
  const supply = await client.readContract({ address, abi: tracksAbi, functionName: "totalSupply" });
  expect(Number(supply), "tokens on chain").to.equal(minted.length);
  for (const track of minted) {
    const tokenId = await client.readContract({
      address,
      abi: tracksAbi,
      functionName: "tokenOfContentHash",
      args: [`0x${track.sha256}`],
    });
    expect(tokenId.toString(), track.file).to.equal(track.tokenId);
  }
}

/**
 * The ledger agrees with the report: minted tracks have their token recorded, nothing else is recorded as
 * minted, and no transaction is left pending.
 */
export async function assertLedgerConsistent(workDir: string, report: RunReport): Promise<void> {
  const ledger = await Ledger.open({ workDir });
  try {
    const deployment = { chainId: report.chain!.chainId, contract: report.chain!.contract! };
    const key = deploymentKey(deployment);
    expect(await ledger.pendingMints(deployment), "pending mints").to.deep.equal([]);
    const mintedInReport = new Set(report.tracks.filter((t) => t.status === "minted").map((t) => t.sha256));
    for await (const state of ledger.tracks()) {
      const token = state.minted.get(key);
      if (!mintedInReport.has(state.sha256)) {
        expect(token, `${state.file} is recorded as minted but the report says otherwise`).to.equal(
          undefined,
        );
        continue;
      }
      const reported = report.tracks.find((t) => t.sha256 === state.sha256 && t.status === "minted")!;
      expect(token?.tokenId.toString(), state.file).to.equal(reported.tokenId);
    }
    for (const sha256 of mintedInReport) expect(await ledger.track(sha256), sha256).to.not.equal(undefined);
  } finally {
    await ledger.close();
  }
}

/** Every minted track's audio in the bucket hashes to the track's SHA-256: the stored bytes are the source's. */
export async function assertStoredBytesMatch(
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string },
  report: RunReport,
): Promise<void> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    for (const track of report.tracks.filter((t) => t.status === "minted")) {
      expect(track.storj, `${track.file} has no S3 object`).to.not.equal(null);
      const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: track.storj!.key }));
      const hash = createHash("sha256");
      for await (const chunk of object.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
      expect(hash.digest("hex"), track.file).to.equal(track.sha256);
    }
  } finally {
    client.destroy();
  }
}
