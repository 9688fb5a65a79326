import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatEther } from "viem";
import { localOnlyWarning, type NetworkExposure } from "../chain/network-exposure.js";
import type { TracksChain } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import {
  billedSize,
  costSummary,
  type Holding,
  type ProviderCost,
  pricingOf,
  providerCost,
  providerCostLine,
  sumHoldings,
} from "../cost/monthly-cost.js";
import { loadCostConfig } from "../cost/prices.js";
import { NATIVE_REALTIME_FACTOR, type PreviewEstimate } from "../preview/estimate.js";
import { systemFfmpeg } from "../preview/ffmpeg.js";
import { loadIpfsConfig, remoteBackends } from "../providers/ipfs/config.js";
import { EMBEDDED_NODE } from "../providers/ipfs/helia-node.js";
import type { ObjectKind } from "../providers/types.js";
import { formatBytes, formatDuration } from "../report/format.js";
import { encodeConcurrency } from "../stages/preview.js";
import {
  isOnThisMachine,
  OBJECT_KINDS,
  placement,
  STORAGE_ROLES,
  type StoragePolicy,
  type StorageRole,
  usageCounted,
} from "../storage/routing.js";
import { localDirectoriesFor, storagePolicy } from "../storage/storage-set.js";
import { type WorkerReadiness, workerPlanLines, workerReadiness } from "../workers/readiness.js";
import { checkLocalDisk, DISK_SHORT_FIX, type DiskCheck, embeddedCopies } from "./local-disk.js";
import { tallyLibrary } from "./plan-tally.js";

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
  /** What sharing the catalog needs, met or not (DCMX_WORKER, DCMX_WORKERS): the rules a worker enforces. */
  workers: WorkerReadiness;
}

/**
 * `--dry-run`: what a run would do, touching nothing. The library is scanned (artwork extracted to a
 * temporary folder) into running totals, so a label's catalog is planned in the memory an album is, and the
 * mint batches are estimated on `simulation`: a fresh in-process chain with the
 * collection deployed, so the estimate needs no deployment and no funds on the real network.
 */
export async function planRun(options: {
  config: PipelineConfig;
  /** The variables a run would read its providers from (Storj keys or the embedded local S3). */
  env?: Record<string, string | undefined>;
  simulation?: Pick<TracksChain, "defaultRecipient" | "estimateMintBatchGas">;
  gasPriceWei?: bigint;
  /** The network a run would mint on; omitted: the in-process chain. */
  network?: { name: string; exposure: NetworkExposure; inProcess: boolean };
}): Promise<{ plan: Plan; lines: string[] }> {
  const { config, env = process.env } = options;
  const extractDir = await mkdtemp(join(tmpdir(), "dcmx-plan-"));
  try {
    const places = localDirectoriesFor(env, config.workDir);
    const policy = storagePolicy(places, config.includeIpfsBackup);
    const costConfig = loadCostConfig(env);
    const pricing = new Map(
      ESTIMATED.map((role) => [
        role,
        pricingOf(
          holderName(role, policy.embeddedS3, "storage"),
          costConfig,
          isOnThisMachine(role, policy.embeddedS3),
        ),
      ]),
    );
    const simulation = options.simulation;
    const recipient = await simulation?.defaultRecipient();
    const tally = await tallyLibrary({
      config,
      extractDir,
      billers: [...pricing].map(([role, p]) => [role, billedSize(p.kind === "priced" ? p.price : undefined)]),
      estimateGas: simulation && ((items) => simulation.estimateMintBatchGas(recipient!, items)),
    });
    const { byKind, previews } = tally;
    const plan: Plan = {
      tracks: tally.tracks,
      problems: tally.errors,
      storage: storageRows(byKind, policy),
      localDisk: await checkLocalDisk(
        embeddedCopies(
          places,
          Object.fromEntries(OBJECT_KINDS.map((kind) => [kind, byKind[kind].bytes])),
          config.includeIpfsBackup,
        ),
      ),
      previews,
      mintTransactions: Math.ceil(tally.tracks / config.mintBatchSize),
      budgetUsd: costConfig.budgetUsd,
      costs: ESTIMATED.map((role) => {
        const held = OBJECT_KINDS.filter((kind) => placement(kind, role, policy).countsTowardCost);
        const billed = tally.billed.get(role)!;
        return providerCost(
          holderName(role, policy.embeddedS3, "cost"),
          sumHoldings(held.map((kind) => billed[kind])),
          pricing.get(role)!,
        );
      }),
      warnings: [
        ...storageWarnings(env, config, options.network),
        ...(await encoderWarning(previews, config)),
      ],
      workers: await workerReadiness(env, config, options.network?.inProcess ?? true),
    };
    if (tally.gas !== undefined && tally.tracks > 0) {
      const total = tally.gas;
      const costWei = options.gasPriceWei === undefined ? undefined : total * options.gasPriceWei;
      plan.gas = { total, perTrack: total / BigInt(tally.tracks), costWei };
    }
    return { plan, lines: describePlan(plan, config) };
  } finally {
    await rm(extractDir, { recursive: true, force: true });
  }
}

/** The roles the dry run estimates: those whose usage is counted (remote backends report none). */
const ESTIMATED = STORAGE_ROLES.filter(usageCounted);

/** The provider a role would be: the price table's key (`storj`), and the name shown for it. */
function holderName(role: StorageRole, embeddedS3: boolean, line: "storage" | "cost"): string {
  if (role === "primary") return embeddedS3 ? "local S3" : "storj";
  return line === "cost" ? `${EMBEDDED_NODE} (embedded node)` : EMBEDDED_NODE;
}

const KIND_WORDS: Record<ObjectKind, string> = {
  audio: "audio",
  preview: "previews",
  artwork: "artwork",
  metadata: "metadata",
};

/** What each estimated role would receive, kind by kind, as the routing table sends it. */
function storageRows(byKind: Record<ObjectKind, Holding>, policy: StoragePolicy): Plan["storage"] {
  return ESTIMATED.flatMap((role) =>
    OBJECT_KINDS.flatMap((kind) => {
      const where = placement(kind, role, policy);
      if (!where.stores || (kind === "preview" && byKind.preview.objects === 0)) return [];
      const note =
        role === "primary" && policy.embeddedS3 && kind === "audio"
          ? "; no Storj keys set"
          : where.backup
            ? " backup"
            : "";
      const label = `${holderName(role, policy.embeddedS3, "storage")} (${KIND_WORDS[kind]}${note})`;
      return [{ role: label, objects: byKind[kind].objects, bytes: byKind[kind].bytes }];
    }),
  );
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
  lines.push(...workerPlanLines(plan.workers));
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
