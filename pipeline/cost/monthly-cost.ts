import { formatBytes } from "../report/format.js";
import { type BillingUnit, bytesPer, type CostConfig, type PublishedPrice } from "./prices.js";

/** What one provider holds (or would hold), with each object counted at least at its billed minimum. */
export interface Holding {
  objects: number;
  bytes: number;
  /** The bytes a provider with a minimum billed object size charges for; equal to `bytes` without one. */
  billedBytes: number;
}

/** What `price` bills one object of `bytes` as: objects below its minimum count as the minimum. */
export function billedSize(price: PublishedPrice | undefined): (bytes: number) => number {
  const minimum = price?.minimumObjectBytes ?? 0;
  return (bytes) => Math.max(bytes, minimum);
}

/** Adds up object sizes the way `price` bills them. */
export function holdingOf(sizes: Iterable<number>, price?: PublishedPrice): Holding {
  const billed = billedSize(price);
  const holding = emptyHolding();
  for (const size of sizes) addObject(holding, size, billed);
  return holding;
}

export const emptyHolding = (): Holding => ({ objects: 0, bytes: 0, billedBytes: 0 });

/** Counts one object of `size` into `holding`, billed as `billed` says: a running total needs no list. */
export function addObject(holding: Holding, size: number, billed: (bytes: number) => number): void {
  holding.objects++;
  holding.bytes += size;
  holding.billedBytes += billed(size);
}

export function sumHoldings(holdings: Holding[]): Holding {
  const total = emptyHolding();
  for (const h of holdings) {
    total.objects += h.objects;
    total.bytes += h.bytes;
    total.billedBytes += h.billedBytes;
  }
  return total;
}

export interface MonthlyCost {
  /** Storage charges for the month from usage alone (after the object minimum and rounding). */
  usageUsd: number;
  /** What the month costs: usage, or the monthly minimum when usage is below it. */
  monthlyUsd: number;
  minimumApplies: boolean;
  /** Egress for reading everything once; undefined when the service publishes no egress price. */
  fullDownloadUsd?: number;
}

const roundedUp = (bytes: number, unit?: BillingUnit) =>
  unit === undefined ? bytes : Math.ceil(bytes / bytesPer(unit)) * bytesPer(unit);

/** The month's storage cost of `holding` at `price`, and what one full download of it costs in egress. */
export function monthlyCost(holding: Holding, price: PublishedPrice): MonthlyCost {
  const stored = roundedUp(holding.billedBytes, price.roundUpTo);
  const usageUsd = (stored / bytesPer(price.storage.unit)) * price.storage.usd * (price.copies ?? 1);
  const minimum = price.minimumUsdPerMonth ?? 0;
  const read = roundedUp(holding.bytes, price.roundUpTo);
  return {
    usageUsd,
    monthlyUsd: Math.max(usageUsd, minimum),
    minimumApplies: usageUsd < minimum,
    fullDownloadUsd: price.egress && (read / bytesPer(price.egress.unit)) * price.egress.usd,
  };
}

/** Dollars with cents; amounts under a cent keep four decimals so they do not read as free. */
export function formatUsd(usd: number): string {
  return usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** Where a provider's bytes are, for the cost line: priced, on this machine, or with no published price. */
export type Pricing = { kind: "priced"; price: PublishedPrice } | { kind: "local" } | { kind: "unpublished" };

export function pricingOf(provider: string, costs: CostConfig, local: boolean): Pricing {
  if (local) return { kind: "local" };
  const price = costs.prices[provider];
  return price === undefined ? { kind: "unpublished" } : { kind: "priced", price };
}

/** One provider's line of the cost table. */
export interface ProviderCost {
  provider: string;
  /** Undefined when the service has no usage API we can ask (remote pinning backends). */
  holding?: Holding;
  /** "$5.00/month at … prices (…); one full download: …", "on this machine…" or "price not published". */
  cost: string;
  /** Undefined when there is no number: no published price, or usage unknown. */
  monthlyUsd?: number;
  /** The price's service and source, when one was used. */
  source?: string;
}

export function providerCost(provider: string, holding: Holding | undefined, pricing: Pricing): ProviderCost {
  return { provider, holding, ...costLine(holding, pricing) };
}

/** "$5.00/month at … prices (…); one full download: $0.0070 egress", or why there is no number. */
function costLine(
  holding: Holding | undefined,
  pricing: Pricing,
): Omit<ProviderCost, "provider" | "holding"> {
  if (pricing.kind === "local") return { cost: "on this machine, no provider bill" };
  if (pricing.kind === "unpublished") return { cost: "price not published" };
  const { price } = pricing;
  if (holding === undefined) return { cost: `no cost without usage (${price.service} is priced)` };
  const cost = monthlyCost(holding, price);
  const terms = [
    holding.billedBytes > holding.bytes
      ? `${formatBytes(holding.billedBytes)} billed: objects under ${formatBytes(price.minimumObjectBytes!)} count as ${formatBytes(price.minimumObjectBytes!)}`
      : undefined,
    price.roundUpTo === undefined ? undefined : `rounded up to whole ${price.roundUpTo}`,
    price.copies === undefined ? undefined : `${price.copies} copies`,
    cost.minimumApplies
      ? `usage ${formatUsd(cost.usageUsd)}, below the ${formatUsd(price.minimumUsdPerMonth!)} monthly minimum`
      : undefined,
  ].filter((term) => term !== undefined);
  const download =
    cost.fullDownloadUsd === undefined
      ? ""
      : `; one full download: ${formatUsd(cost.fullDownloadUsd)} egress`;
  return {
    cost: `${formatUsd(cost.monthlyUsd)}/month at ${price.service} prices${terms.length > 0 ? ` (${terms.join("; ")})` : ""}${download}`,
    monthlyUsd: cost.monthlyUsd,
    source: `${price.service}: ${price.source}`,
  };
}

/** "  storj: 5 objects, 427.8 KB — $5.00/month …" */
export function providerCostLine(p: ProviderCost): string {
  const used =
    p.holding === undefined
      ? "usage not reported by the service"
      : `${p.holding.objects} objects, ${formatBytes(p.holding.bytes)}`;
  return `  ${p.provider}: ${used} — ${p.cost}`;
}

export const totalMonthlyUsd = (providers: ProviderCost[]): number =>
  providers.reduce((sum, p) => sum + (p.monthlyUsd ?? 0), 0);

/** The closing lines: the total against the budget when one is set, and where the prices used come from. */
export function costSummary(providers: ProviderCost[], budgetUsd: number | undefined): string[] {
  const totalUsd = totalMonthlyUsd(providers);
  const sources = [...new Set(providers.flatMap((p) => (p.source === undefined ? [] : [`    ${p.source}`])))];
  const against =
    budgetUsd === undefined
      ? " (set DCMX_MONTHLY_BUDGET_USD to compare it with a budget)"
      : totalUsd > budgetUsd
        ? ` — OVER BUDGET: ${formatUsd(totalUsd - budgetUsd)} above DCMX_MONTHLY_BUDGET_USD=${budgetUsd}; store less on the paid providers or raise the budget`
        : ` of a ${formatUsd(budgetUsd)} budget (DCMX_MONTHLY_BUDGET_USD)`;
  return [
    `  Monthly storage cost: ${formatUsd(totalUsd)}${against}`,
    ...(sources.length === 0
      ? []
      : [
          "  Prices used (1 TB = 10^12 bytes and 1 GB = 10^9 bytes, as Storj bills; 1 TiB = 2^40 bytes; egress is paid per download):",
          ...sources,
        ]),
  ];
}
