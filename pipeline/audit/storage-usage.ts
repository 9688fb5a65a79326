import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { EMBEDDED_NODE } from "../providers/ipfs/helia-node.js";
import { NFT_STORAGE } from "../providers/ipfs/nft-storage.js";
import { STORACHA } from "../providers/ipfs/storacha.js";
import { STORJ_FREE_TIER_BYTES } from "../providers/s3/config.js";
import { formatBytes } from "../report/format.js";
import { RunReportSchema } from "../report/report.js";
import type { StorageSet } from "../storage/storage-set.js";

/** A free tier as the original design states it (decimal GB, as providers bill); `undefined` = unlimited. */
interface FreeTier {
  label: string;
  storageBytes?: number;
  egressBytesPerMonth?: number;
}

const GB = 1000 ** 3;
const STORJ_TIER: FreeTier = {
  label: "Storj DCS: 150 GB stored, 150 GB/month egress",
  storageBytes: STORJ_FREE_TIER_BYTES,
  egressBytesPerMonth: 150 * GB,
};

/** Keyed by provider name; the embedded S3 stands in for Storj, so it is weighed against Storj's tier. */
const FREE_TIERS: Record<string, FreeTier> = {
  [STORACHA]: {
    label: "Web3.Storage (now Storacha): 10 GB stored, 10 GB/month egress (check storacha.network)",
    storageBytes: 10 * GB,
    egressBytesPerMonth: 10 * GB,
  },
  [NFT_STORAGE]: { label: "NFT.Storage: unlimited NFT metadata (closed to uploads since 2024)" },
};

export interface ProviderUsage {
  provider: string;
  /** Undefined when the service has no usage API we can ask (remote pinning backends). */
  objects?: number;
  bytes?: number;
  tier?: FreeTier;
  /** How many more tracks of the library's average size fit in the free storage. */
  moreTracks?: number;
}

export interface StorageUsage {
  providers: ProviderUsage[];
  /** Average audio size of the work directory's last run, when there was one. */
  averageTrackBytes?: number;
}

/** Usage per provider against the free tiers, and the room left counted in tracks of the library's average size. */
export async function storageUsage(storage: StorageSet, reportPath: string): Promise<StorageUsage> {
  const averageTrackBytes = await averageTrackSize(reportPath);
  const measured = new Set([storage.storj.name, EMBEDDED_NODE]);
  const providers = await Promise.all(
    storage.all().map(async (provider): Promise<ProviderUsage> => {
      const tier = provider === storage.storj ? STORJ_TIER : FREE_TIERS[provider.name];
      // Remote backends count only what this process sent; saying 0 would be wrong, so they say nothing.
      if (!measured.has(provider.name)) return { provider: provider.name, tier };
      const { objects, bytes } = await provider.stats();
      const room = tier?.storageBytes === undefined ? undefined : Math.max(0, tier.storageBytes - bytes);
      const moreTracks =
        room === undefined || averageTrackBytes === undefined
          ? undefined
          : Math.floor(room / averageTrackBytes);
      return { provider: provider.name, objects, bytes, tier, moreTracks };
    }),
  );
  return { providers, averageTrackBytes };
}

export function usageLines(usage: StorageUsage): string[] {
  const lines = usage.providers.map((p) => {
    const used =
      p.bytes === undefined
        ? "usage not reported by the service"
        : `${p.objects} objects, ${formatBytes(p.bytes)}`;
    const share =
      p.bytes !== undefined && p.tier?.storageBytes !== undefined
        ? ` (${((100 * p.bytes) / p.tier.storageBytes).toFixed(3)}% of the free tier)`
        : "";
    const more = p.moreTracks === undefined ? "" : `; room for ${p.moreTracks} more tracks`;
    const tier = p.tier === undefined ? "" : `\n      free tier: ${p.tier.label}`;
    return `  ${p.provider}: ${used}${share}${more}${tier}`;
  });
  const avg = usage.averageTrackBytes;
  if (avg === undefined) {
    lines.push("  average track: unknown until a run has written the work directory's report.json");
  } else {
    const plays = Math.floor((STORJ_TIER.egressBytesPerMonth ?? 0) / avg);
    lines.push(
      `  average track: ${formatBytes(avg)}; Storj's 150 GB/month egress streams about ${plays} full plays a month`,
    );
  }
  return lines;
}

async function averageTrackSize(reportPath: string): Promise<number | undefined> {
  if (!existsSync(reportPath)) return undefined;
  const parsed = RunReportSchema.safeParse(JSON.parse(await readFile(reportPath, "utf8")));
  const tracks = parsed.success ? parsed.data.tracks.filter((t) => t.status !== "duplicate") : [];
  return tracks.length === 0 ? undefined : tracks.reduce((sum, t) => sum + t.size, 0) / tracks.length;
}
