import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatEther } from "viem";
import type { MintItem, TracksChain } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import { scanLibrary } from "../library/scan.js";
import { encodeMetadata } from "../metadata/encode.js";
import { buildTrackMetadata } from "../metadata/track-metadata.js";
import { STORJ_FREE_TIER_BYTES } from "../providers/s3/config.js";
import { formatBytes } from "../report/format.js";

export interface Plan {
  tracks: number;
  problems: number;
  /** Bytes each role would receive, against its free tier where it has one. */
  storage: Array<{ role: string; objects: number; bytes: number; freeTierBytes?: number }>;
  mintTransactions: number;
  /** From a simulation of the real batches; undefined when no chain was given. */
  gas?: { total: bigint; perTrack: bigint; costWei?: bigint };
}

/**
 * `--dry-run`: what a run would do, touching nothing. The library is scanned (artwork extracted to a
 * temporary folder), and the mint batches are estimated on `simulation`: a fresh in-process chain with the
 * collection deployed, so the estimate needs no deployment and no funds on the real network.
 */
export async function planRun(options: {
  config: PipelineConfig;
  simulation?: TracksChain;
  gasPriceWei?: bigint;
}): Promise<{ plan: Plan; lines: string[] }> {
  const { config } = options;
  const extractDir = await mkdtemp(join(tmpdir(), "dcmx-plan-"));
  try {
    const scan = await scanLibrary(config.library, {
      metadataFile: config.metadataFile,
      artworkDir: config.artworkDir,
      extractDir,
      profile: config.cidProfile,
    });
    const audioBytes = scan.tracks.reduce((sum, t) => sum + t.content.size, 0);
    const artwork = new Map(
      scan.tracks.flatMap((t) => (t.artwork ? [[t.artwork.content.sha256, t.artwork.content.size]] : [])),
    );
    const artworkBytes = [...artwork.values()].reduce((a, b) => a + b, 0);
    const items: MintItem[] = scan.tracks.map((track) => ({
      sha256: track.content.sha256,
      metadataCid: encodeMetadata(buildTrackMetadata(track)).cid,
    }));
    const plan: Plan = {
      tracks: scan.tracks.length,
      problems: scan.problems.filter((p) => p.severity === "error").length,
      storage: [
        {
          role: "storj (audio)",
          objects: scan.tracks.length,
          bytes: audioBytes,
          freeTierBytes: STORJ_FREE_TIER_BYTES,
        },
        ...(config.includeIpfsBackup
          ? [{ role: "ipfs (audio backup)", objects: scan.tracks.length, bytes: audioBytes }]
          : []),
        { role: "ipfs (artwork)", objects: artwork.size, bytes: artworkBytes },
      ],
      mintTransactions: Math.ceil(items.length / config.mintBatchSize),
    };
    if (options.simulation !== undefined && items.length > 0) {
      const recipient = await options.simulation.defaultRecipient();
      let total = 0n;
      for (let i = 0; i < items.length; i += config.mintBatchSize) {
        total += await options.simulation.estimateMintBatchGas(
          recipient,
          items.slice(i, i + config.mintBatchSize),
        );
      }
      const costWei = options.gasPriceWei === undefined ? undefined : total * options.gasPriceWei;
      plan.gas = { total, perTrack: total / BigInt(items.length), costWei };
    }
    return { plan, lines: describePlan(plan, config) };
  } finally {
    await rm(extractDir, { recursive: true, force: true });
  }
}

function describePlan(plan: Plan, config: PipelineConfig): string[] {
  const lines = [
    `Dry run of ${config.library}: nothing is uploaded, deployed or minted.`,
    `  Tracks: ${plan.tracks}${plan.problems > 0 ? ` (${plan.problems} files with errors, see above)` : ""}`,
  ];
  for (const s of plan.storage) {
    const tier =
      s.freeTierBytes === undefined
        ? ""
        : ` — ${((100 * s.bytes) / s.freeTierBytes).toFixed(3)}% of the ${formatBytes(s.freeTierBytes)} free tier`;
    lines.push(`  ${s.role}: ${s.objects} objects, ${formatBytes(s.bytes)}${tier}`);
  }
  lines.push(`  Mint transactions: ${plan.mintTransactions} (batches of ${config.mintBatchSize})`);
  if (plan.gas) {
    const cost =
      plan.gas.costWei === undefined
        ? ""
        : `, about ${formatEther(plan.gas.costWei)} ETH at the current gas price`;
    lines.push(`  Estimated gas: ${plan.gas.total} (${plan.gas.perTrack} per track)${cost}`);
  }
  return lines;
}
