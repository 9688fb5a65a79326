import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatEther } from "viem";
import { localOnlyWarning, type NetworkExposure } from "../chain/network-exposure.js";
import type { MintItem, TracksChain } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import {
  costSummary,
  holdingOf,
  type ProviderCost,
  pricingOf,
  providerCost,
  providerCostLine,
} from "../cost/monthly-cost.js";
import { loadCostConfig } from "../cost/prices.js";
import { encodeMetadata } from "../metadata/encode.js";
import { buildTrackMetadata } from "../metadata/track-metadata.js";
import { estimatePreviews, NATIVE_REALTIME_FACTOR, type PreviewEstimate } from "../preview/estimate.js";
import { systemFfmpeg } from "../preview/ffmpeg.js";
import { loadIpfsConfig, remoteBackends } from "../providers/ipfs/config.js";
import { EMBEDDED_NODE } from "../providers/ipfs/helia-node.js";
import { formatBytes, formatDuration } from "../report/format.js";
import { collectScan } from "../scan/scan-library.js";
import { encodeConcurrency } from "../stages/preview.js";
import { localDirectoriesFor } from "../storage/storage-set.js";
import { checkLocalDisk, DISK_SHORT_FIX, type DiskCheck, embeddedCopies } from "./local-disk.js";

export interface Plan {
  tracks: number;
  problems: number;
  /** Bytes each role would receive. */
  storage: Array<{ role: string; objects: number; bytes: number }>;
  /** What the S3 primary and the embedded node would cost a month once everything is stored. */
  costs: ProviderCost[];
  /** DCMX_MONTHLY_BUDGET_USD, when set. */
  budgetUsd?: number;
  /** Free space against the embedded copies (local S3 without Storj keys, the IPFS node), per disk. */
  localDisk: DiskCheck[];
  /** Playable previews to encode for masters OpenSea cannot play (FLAC, AIFF, M4A). */
  previews: PreviewEstimate;
  mintTransactions: number;
  /** From a simulation of the real batches; undefined when no chain was given. */
  gas?: { total: bigint; perTrack: bigint; costWei?: bigint };
  /** What a run would be warned about: closed or unusable backends, a public network without a remote copy. */
  warnings: string[];
}

/**
 * `--dry-run`: what a run would do, touching nothing. The library is scanned (artwork extracted to a
 * temporary folder), and the mint batches are estimated on `simulation`: a fresh in-process chain with the
 * collection deployed, so the estimate needs no deployment and no funds on the real network.
 */
export async function planRun(options: {
  config: PipelineConfig;
  /** The variables a run would read its providers from (Storj keys or the embedded local S3). */
  env?: Record<string, string | undefined>;
  simulation?: TracksChain;
  gasPriceWei?: bigint;
  /** The network a run would mint on; omitted: the in-process chain. */
  network?: { name: string; exposure: NetworkExposure };
}): Promise<{ plan: Plan; lines: string[] }> {
  const { config, env = process.env } = options;
  const extractDir = await mkdtemp(join(tmpdir(), "dcmx-plan-"));
  try {
    const scan = await collectScan(config.library, {
      metadataFile: config.metadataFile,
      artworkDir: config.artworkDir,
      extractDir,
      profile: config.cidProfile,
    });
    const masterBytes = scan.tracks.reduce((sum, t) => sum + t.content.size, 0);
    const previews = estimatePreviews(scan.tracks, config.previewFormat, encodeConcurrency(config));
    // Previews go wherever the audio goes (StorageSet's routing table), so they count with it.
    const audioBytes = masterBytes + previews.bytes;
    const artwork = new Map(
      scan.tracks.flatMap((t) => (t.artwork ? [[t.artwork.content.sha256, t.artwork.content.size]] : [])),
    );
    const artworkBytes = [...artwork.values()].reduce((a, b) => a + b, 0);
    const documents = scan.tracks.map((track) => encodeMetadata(buildTrackMetadata(track)));
    const items: MintItem[] = scan.tracks.map((track, i) => ({
      sha256: track.content.sha256,
      metadataCid: documents[i]!.cid,
    }));
    const metadataBytes = documents.reduce((sum, d) => sum + d.bytes.length, 0);
    // The same split as StorageSet.providersFor: artwork goes to Storj only when a real bucket is set.
    const places = localDirectoriesFor(env, config.workDir);
    const storj = places.localS3 === undefined;
    const costConfig = loadCostConfig(env);
    const audioSizes = [...scan.tracks.map((t) => t.content.size), ...previews.sizes];
    const s3Name = storj ? "storj" : "local S3";
    const s3Pricing = pricingOf("storj", costConfig, !storj);
    const s3Price = s3Pricing.kind === "priced" ? s3Pricing.price : undefined;
    const audio = { objects: scan.tracks.length, bytes: masterBytes };
    const preview = previews.tracks > 0 ? [{ objects: previews.tracks, bytes: previews.bytes }] : [];
    const art = { objects: artwork.size, bytes: artworkBytes };
    const metadata = { objects: documents.length, bytes: metadataBytes };
    const plan: Plan = {
      tracks: scan.tracks.length,
      problems: scan.problems.filter((p) => p.severity === "error").length,
      storage: [
        ...(storj
          ? [
              { role: "storj (audio)", ...audio },
              ...preview.map((p) => ({ role: "storj (previews)", ...p })),
              { role: "storj (artwork)", ...art },
            ]
          : [
              { role: "local S3 (audio; no Storj keys set)", ...audio },
              ...preview.map((p) => ({ role: "local S3 (previews)", ...p })),
            ]),
        ...(config.includeIpfsBackup
          ? [
              { role: "ipfs (audio backup)", ...audio },
              ...preview.map((p) => ({ role: "ipfs (preview backup)", ...p })),
            ]
          : []),
        { role: "ipfs (artwork)", ...art },
        { role: "ipfs (metadata)", ...metadata },
      ],
      localDisk: await checkLocalDisk(
        embeddedCopies(
          places,
          { audio: audioBytes, artwork: artworkBytes, metadata: metadataBytes },
          config.includeIpfsBackup,
        ),
      ),
      previews,
      mintTransactions: Math.ceil(items.length / config.mintBatchSize),
      budgetUsd: costConfig.budgetUsd,
      costs: [
        providerCost(
          s3Name,
          holdingOf(storj ? [...audioSizes, ...artwork.values()] : audioSizes, s3Price),
          s3Pricing,
        ),
        providerCost(
          `${EMBEDDED_NODE} (embedded node)`,
          holdingOf([
            ...(config.includeIpfsBackup ? audioSizes : []),
            ...artwork.values(),
            ...documents.map((d) => d.bytes.length),
          ]),
          { kind: "local" },
        ),
      ],
      warnings: [
        ...storageWarnings(env, config, options.network),
        ...(await encoderWarning(previews, config)),
      ],
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

/** The remote backends a run would leave out, and the public-network rule a run would apply. */
function storageWarnings(
  env: Record<string, string | undefined>,
  config: PipelineConfig,
  network: { name: string; exposure: NetworkExposure } | undefined,
): string[] {
  const ipfs = loadIpfsConfig(env, config.workDir);
  const warnings = ipfs.unused.map((unused) => `${unused.provider}: ${unused.reason}`);
  if (network?.exposure === "public" && remoteBackends(ipfs).length === 0)
    warnings.push(localOnlyWarning(network.name, config.allowLocalOnly));
  return warnings;
}

function describePlan(plan: Plan, config: PipelineConfig): string[] {
  const lines = [
    `Dry run of ${config.library}: nothing is uploaded, deployed or minted.`,
    `  Tracks: ${plan.tracks}${plan.problems > 0 ? ` (${plan.problems} files with errors, see above)` : ""}`,
  ];
  if (plan.previews.tracks > 0) lines.push(previewLine(plan.previews, config));
  for (const s of plan.storage) lines.push(`  ${s.role}: ${s.objects} objects, ${formatBytes(s.bytes)}`);
  lines.push("  Storage cost once all is stored (remote IPFS backends are not priced here):");
  lines.push(...plan.costs.map((c) => `  ${providerCostLine(c)}`));
  lines.push(...costSummary(plan.costs, plan.budgetUsd));
  for (const disk of plan.localDisk) {
    const short = disk.freeBytes < disk.neededBytes ? ` — NOT ENOUGH: ${DISK_SHORT_FIX}` : "";
    lines.push(
      `  local disk at ${disk.directory}: needs up to ${formatBytes(disk.neededBytes)} for the embedded copies, ${formatBytes(disk.freeBytes)} free${short}`,
    );
  }
  lines.push(`  Mint transactions: ${plan.mintTransactions} (batches of ${config.mintBatchSize})`);
  if (plan.gas) {
    const cost =
      plan.gas.costWei === undefined
        ? ""
        : `, about ${formatEther(plan.gas.costWei)} ETH at the current gas price`;
    lines.push(`  Estimated gas: ${plan.gas.total} (${plan.gas.perTrack} per track)${cost}`);
  }
  for (const warning of plan.warnings) lines.push(`  ! ${warning}`);
  return lines;
}

/** The run would fail every track that needs a preview when ffmpeg is missing: said before, not after. */
async function encoderWarning(previews: PreviewEstimate, config: PipelineConfig): Promise<string[]> {
  if (previews.tracks === 0) return [];
  return systemFfmpeg(config.ffmpeg).then(
    () => [],
    (error: Error) => [error.message],
  );
}

function previewLine(previews: PreviewEstimate, config: PipelineConfig): string {
  return (
    `  Previews: ${previews.tracks} masters OpenSea cannot play (FLAC, AIFF, M4A) to encode as ${config.previewFormat}, ` +
    `about ${formatBytes(previews.bytes)} in about ${formatDuration(previews.seconds * 1000)} ` +
    `(${encodeConcurrency(config)} at a time, at ${Math.round(NATIVE_REALTIME_FACTOR)}x real time each: a native ffmpeg's measured speed)`
  );
}
