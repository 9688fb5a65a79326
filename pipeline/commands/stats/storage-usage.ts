import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import {
  billedSize,
  costSummary,
  type Holding,
  type ProviderCost,
  pricingOf,
  providerCost,
  providerCostLine,
  totalMonthlyUsd,
} from "../../cost/monthly-cost.js";
import type { CostConfig } from "../../cost/prices.js";
import { formatBytes } from "../../report/format.js";
import { RunReportSchema } from "../../report/report.js";
import { isOnThisMachine, usageCounted } from "../../storage/routing.js";
import type { StorageSet } from "../../storage/storage-set.js";

export interface StorageUsage {
  providers: ProviderCost[];
  /** Sum of the providers' monthly costs that have one. */
  monthlyUsd: number;
  budgetUsd?: number;
  /** Average audio size of the work directory's last run, when there was one. */
  averageTrackBytes?: number;
}

/** Usage per provider and its monthly cost from the price table, against the budget when one is set. */
export async function storageUsage(
  storage: StorageSet,
  reportPath: string,
  costs: CostConfig,
): Promise<StorageUsage> {
  const averageTrackBytes = await averageTrackSize(reportPath);
  const providers = await Promise.all(
    storage.roles().map(async ({ role, provider }): Promise<ProviderCost> => {
      const pricing = pricingOf(provider.name, costs, isOnThisMachine(role, storage.embeddedS3));
      const price = pricing.kind === "priced" ? pricing.price : undefined;
      // Remote backends count only what this process sent; saying 0 would be wrong, so they say nothing.
      const holding = usageCounted(role)
        ? await provider.stats({ billedSize: billedSize(price) }).then(
            ({ objects, bytes, billedBytes }): Holding => ({
              objects,
              bytes,
              billedBytes: billedBytes ?? bytes,
            }),
          )
        : undefined;
      return providerCost(provider.name, holding, pricing);
    }),
  );
  return { providers, monthlyUsd: totalMonthlyUsd(providers), budgetUsd: costs.budgetUsd, averageTrackBytes };
}

export function usageLines(usage: StorageUsage): string[] {
  const lines = usage.providers.map(providerCostLine);
  lines.push(...costSummary(usage.providers, usage.budgetUsd));
  const avg = usage.averageTrackBytes;
  lines.push(
    avg === undefined
      ? "  average track: unknown until a run has written the work directory's report.json"
      : `  average track: ${formatBytes(avg)}`,
  );
  return lines;
}

async function averageTrackSize(reportPath: string): Promise<number | undefined> {
  if (!existsSync(reportPath)) return undefined;
  const parsed = RunReportSchema.safeParse(JSON.parse(await readFile(reportPath, "utf8")));
  const tracks = parsed.success ? parsed.data.tracks.filter((t) => t.status !== "duplicate") : [];
  return tracks.length === 0 ? undefined : tracks.reduce((sum, t) => sum + t.size, 0) / tracks.length;
}
