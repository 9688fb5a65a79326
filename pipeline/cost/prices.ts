import { z } from "zod";
import { parseEnv } from "../config/env.js";
import { envDecimal } from "../config/env-values.js";

/** Billing units as each vendor states them: Storj bills decimal TB, Filecoin Onchain Cloud binary TiB. */
const UNIT_BYTES = { TB: 1e12, TiB: 2 ** 40, GB: 1e9 } as const;
export type BillingUnit = keyof typeof UNIT_BYTES;

export interface Rate {
  usd: number;
  unit: BillingUnit;
}

/** One service's published prices; a service that publishes none has no entry, so no number is ever shown for it. */
export interface PublishedPrice {
  /** The service and plan the prices are for. */
  service: string;
  /** Per unit stored for a month, per copy. */
  storage: Rate;
  /** Per unit downloaded. */
  egress?: Rate;
  /** Copies the service keeps by default, each billed. */
  copies?: number;
  /** The least a month costs whatever is stored. */
  minimumUsdPerMonth?: number;
  /** Smaller objects are billed as this size. */
  minimumObjectBytes?: number;
  /** Usage is rounded up to a whole number of this unit. */
  roundUpTo?: BillingUnit;
  /** Where the numbers come from, and when they were read. */
  source: string;
}

/** Provider names of the backends the prices belong to (the names they carry in records). */
export const FILECOIN_PIN = "filecoin-pin";
export const FOUREVERLAND = "4everland";

/**
 * The prices the vendors publish (../shared/reference/ipfs-services-2026.md, late 2026), keyed by provider
 * name. Services whose prices are UNCONFIRMED there (Pinata, Filebase, Lighthouse, self-run Kubo/Cluster)
 * have no entry on purpose.
 */
export const PUBLISHED_PRICES: Readonly<Record<string, PublishedPrice>> = {
  storj: {
    service: "Storj DCS Standard",
    storage: { usd: 7, unit: "TB" },
    egress: { usd: 7, unit: "TB" },
    minimumUsdPerMonth: 5,
    minimumObjectBytes: 50_000,
    roundUpTo: "GB",
    source:
      "Storj simplified pricing, effective 2026-07-01 (storj/docs dcs/pricing/simplified, updated 2026-07-15)",
  },
  [FILECOIN_PIN]: {
    service: "Filecoin Onchain Cloud",
    storage: { usd: 2.5, unit: "TiB" },
    copies: 2,
    source:
      "FilOzone synapse docs, cookbooks/payments-and-storage ($2.50/TiB-month per copy; 2 copies by default), read 2026-09; per-data-set and one-time fees not included",
  },
  [FOUREVERLAND]: {
    service: "4EVERLAND IPFS storage",
    storage: { usd: 0.08, unit: "GB" },
    egress: { usd: 0.1, unit: "GB" },
    source: "docs.4everland.org get-started/billing-and-pricing/pricing-model, read 2026",
  },
};

/** `DCMX_PRICE_<PROVIDER>_…`: each published number can be overridden, in the unit the vendor uses. */
function overrideVariables(provider: string, price: PublishedPrice) {
  const prefix = `DCMX_PRICE_${provider.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  const unit = (rate: Rate) => rate.unit.toUpperCase();
  return {
    storage: `${prefix}_STORAGE_USD_PER_${unit(price.storage)}_MONTH`,
    egress: price.egress && `${prefix}_EGRESS_USD_PER_${unit(price.egress)}`,
    minimum: price.minimumUsdPerMonth !== undefined ? `${prefix}_MINIMUM_USD_PER_MONTH` : undefined,
  };
}

const CostEnvSchema = z.object({
  /** What the user means to spend on storage a month; the plan and `dcmx stats` warn above it. */
  DCMX_MONTHLY_BUDGET_USD: envDecimal(0),
  ...Object.fromEntries(
    Object.entries(PUBLISHED_PRICES).flatMap(([provider, price]) =>
      Object.values(overrideVariables(provider, price))
        .filter((name) => name !== undefined)
        .map((name) => [name, envDecimal(0)]),
    ),
  ),
});

export interface CostConfig {
  prices: Record<string, PublishedPrice>;
  budgetUsd?: number;
}

/** The price table with the user's overrides applied (each override noted in `source`), and the budget. */
export function loadCostConfig(env: Record<string, string | undefined>, source = "environment"): CostConfig {
  const values = parseEnv(CostEnvSchema, env, source) as Record<string, number | undefined>;
  const prices = Object.fromEntries(
    Object.entries(PUBLISHED_PRICES).map(([provider, published]) => {
      const names = overrideVariables(provider, published);
      const set = (name: string | undefined) => (name === undefined ? undefined : values[name]);
      const storage = set(names.storage);
      const egress = set(names.egress);
      const minimum = set(names.minimum);
      const overridden = [names.storage, names.egress, names.minimum].filter((n) => set(n) !== undefined);
      const price: PublishedPrice = {
        ...published,
        storage: { ...published.storage, usd: storage ?? published.storage.usd },
        egress: published.egress && { ...published.egress, usd: egress ?? published.egress.usd },
        minimumUsdPerMonth: minimum ?? published.minimumUsdPerMonth,
        source:
          overridden.length === 0
            ? published.source
            : `${published.source}; overridden by ${overridden.join(", ")}`,
      };
      return [provider, price];
    }),
  );
  return { prices, budgetUsd: values.DCMX_MONTHLY_BUDGET_USD };
}

/** Bytes per unit, for the arithmetic. */
export const bytesPer = (unit: BillingUnit): number => UNIT_BYTES[unit];
