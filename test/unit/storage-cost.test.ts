import { expect } from "chai";
import {
  costSummary,
  formatUsd,
  holdingOf,
  monthlyCost,
  providerCost,
} from "../../pipeline/cost/monthly-cost.js";
import { FILECOIN_PIN, FOUREVERLAND, loadCostConfig, PUBLISHED_PRICES } from "../../pipeline/cost/prices.js";
import { ConfigError } from "../../pipeline/errors.js";

const storj = PUBLISHED_PRICES.storj!;
const GB = 1e9;

describe("storage cost from the published prices", () => {
  it("bills each object under 50 kB as 50 kB, at Storj", () => {
    expect(holdingOf([1, 49_999, 50_000, 50_001], storj)).to.deep.equal({
      objects: 4,
      bytes: 150_001,
      billedBytes: 50_000 * 3 + 50_001,
    });
    // A service without a minimum object size bills the bytes.
    expect(holdingOf([1, 2], PUBLISHED_PRICES[FOUREVERLAND])).to.include({ bytes: 3, billedBytes: 3 });
  });

  it("rounds Storj usage up to whole decimal GB: 1 GB is $0.007, one byte more is 2 GB", () => {
    expect(monthlyCost(holdingOf([GB], storj), storj).usageUsd).to.be.closeTo(0.007, 1e-12);
    expect(monthlyCost(holdingOf([GB + 1], storj), storj).usageUsd).to.be.closeTo(0.014, 1e-12);
    // A thousand 1-byte objects are billed as 50 MB, which still rounds up to 1 GB.
    const tiny = holdingOf(new Array<number>(1000).fill(1), storj);
    expect(tiny.billedBytes).to.equal(50e6);
    expect(monthlyCost(tiny, storj).usageUsd).to.be.closeTo(0.007, 1e-12);
  });

  it("charges Storj's $5 monthly minimum below it, and the usage above it (1 TB = 10^12 bytes)", () => {
    const small = monthlyCost(holdingOf([GB], storj), storj);
    expect(small).to.include({ monthlyUsd: 5, minimumApplies: true });
    const oneTb = monthlyCost(holdingOf([1e12], storj), storj);
    expect(oneTb.usageUsd).to.be.closeTo(7, 1e-9);
    expect(oneTb).to.include({ minimumApplies: false });
    expect(oneTb.monthlyUsd).to.be.closeTo(7, 1e-9);
    // A TiB is 1.0995 TB, so 1,100 whole GB.
    expect(monthlyCost(holdingOf([2 ** 40], storj), storj).usageUsd).to.be.closeTo(7.7, 1e-9);
  });

  it("prices one full download as egress, without the object minimum", () => {
    const cost = monthlyCost(holdingOf([1, 1.5 * GB], storj), storj);
    expect(cost.fullDownloadUsd).to.be.closeTo(0.014, 1e-12);
    expect(monthlyCost(holdingOf([10 * GB]), PUBLISHED_PRICES[FOUREVERLAND]!).fullDownloadUsd).to.be.closeTo(
      1,
      1e-12,
    );
  });

  it("bills Filecoin Onchain Cloud per TiB and per copy, 4EVERLAND per GB, with no minimum", () => {
    const filecoin = PUBLISHED_PRICES[FILECOIN_PIN]!;
    expect(monthlyCost(holdingOf([2 ** 40]), filecoin)).to.deep.include({ usageUsd: 5, monthlyUsd: 5 });
    expect(monthlyCost(holdingOf([2 ** 40]), filecoin).fullDownloadUsd).to.equal(undefined);
    const four = monthlyCost(holdingOf([10 * GB]), PUBLISHED_PRICES[FOUREVERLAND]!);
    expect(four.monthlyUsd).to.be.closeTo(0.8, 1e-12);
    expect(four.minimumApplies).to.equal(false);
  });

  it("never puts a number on a service without a published price or on the local stores", () => {
    const costs = loadCostConfig({});
    const pinata = providerCost("pinata", holdingOf([GB]), { kind: "unpublished" });
    expect(pinata.cost).to.equal("price not published");
    expect(pinata.monthlyUsd).to.equal(undefined);
    const local = providerCost("ipfs", holdingOf([GB]), { kind: "local" });
    expect(local.cost).to.equal("on this machine, no provider bill");
    expect(costSummary([pinata, local], costs.budgetUsd)).to.deep.equal([
      "  Monthly storage cost: $0.00 (set DCMX_MONTHLY_BUDGET_USD to compare it with a budget)",
    ]);
  });

  it("says what a Storj bucket costs and why, with the source of the price", () => {
    const line = providerCost("storj", holdingOf([1000, GB], storj), { kind: "priced", price: storj });
    expect(line.cost).to.equal(
      "$5.00/month at Storj DCS Standard prices (1.0 GB billed: objects under 50.0 KB count as 50.0 KB; rounded up to whole GB; usage $0.01, below the $5.00 monthly minimum); one full download: $0.01 egress",
    );
    expect(line.source).to.include("effective 2026-07-01");
  });

  it("warns over budget and says how much is left under it", () => {
    const line = providerCost("storj", holdingOf([GB], storj), { kind: "priced", price: storj });
    const over = costSummary([line], 3);
    expect(over[0]).to.equal(
      "  Monthly storage cost: $5.00 — OVER BUDGET: $2.00 above DCMX_MONTHLY_BUDGET_USD=3; store less on the paid providers or raise the budget",
    );
    expect(over[1]).to.include("1 TB = 10^12 bytes");
    expect(costSummary([line], 20)[0]).to.equal(
      "  Monthly storage cost: $5.00 of a $20.00 budget (DCMX_MONTHLY_BUDGET_USD)",
    );
  });

  it("takes price overrides and the budget from the environment, validated", () => {
    const costs = loadCostConfig({
      DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH: "10",
      DCMX_PRICE_STORJ_EGRESS_USD_PER_TB: "0",
      DCMX_PRICE_STORJ_MINIMUM_USD_PER_MONTH: "0",
      DCMX_PRICE_FILECOIN_PIN_STORAGE_USD_PER_TIB_MONTH: "3",
      DCMX_MONTHLY_BUDGET_USD: "12.5",
    });
    expect(costs.budgetUsd).to.equal(12.5);
    const price = costs.prices.storj!;
    expect(price).to.deep.include({ storage: { usd: 10, unit: "TB" }, minimumUsdPerMonth: 0 });
    expect(price.source).to.include("overridden by DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH");
    expect(monthlyCost(holdingOf([1e12], price), price)).to.deep.include({
      usageUsd: 10,
      fullDownloadUsd: 0,
    });
    expect(costs.prices[FILECOIN_PIN]!.storage.usd).to.equal(3);
    // The published table itself is untouched.
    expect(PUBLISHED_PRICES.storj!.storage.usd).to.equal(7);

    for (const [variable, value] of [
      ["DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH", "seven"],
      ["DCMX_MONTHLY_BUDGET_USD", "-1"],
    ]) {
      const error = (() => {
        try {
          return loadCostConfig({ [variable!]: value }, ".env");
        } catch (e) {
          return e;
        }
      })();
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message)
        .to.include(`.env: ${variable}`)
        .and.include(`"${value}"`);
    }
  });

  it("formats dollars with cents, and amounts under a cent so they do not read as free", () => {
    expect(formatUsd(5)).to.equal("$5.00");
    expect(formatUsd(0.007)).to.equal("$0.0070");
    expect(formatUsd(0)).to.equal("$0.00");
  });
});
