import type { PublicClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import { describeError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { RunEvents } from "../report/events.js";
import { createProgress } from "../report/progress.js";
import type { RunSummary } from "../report/report.js";
import { findOpenSeaChain } from "./opensea/chains.js";
import { OpenSeaClient } from "./opensea/client.js";
import { syncMarketplace, syncSummary } from "./sync.js";

/**
 * After a mint run, when OPENSEA_API_KEY is set: tells OpenSea about the tokens minted or changed since the
 * last sync. The mint stands whatever OpenSea answers, so a failure is reported with the command that
 * retries it, never turned into a failed run.
 */
export async function syncMarketplaceAfterRun(options: {
  env: Record<string, string | undefined>;
  report: RunSummary;
  client: PublicClient;
  ledger: Ledger;
  progress?: RunEvents;
  signal?: AbortSignal;
}): Promise<void> {
  const { report } = options;
  const progress = options.progress ?? createProgress(undefined, "tokens");
  const contract = report.chain?.contract as Hex | null | undefined;
  if (report.chain === null || contract === null || contract === undefined) return;
  try {
    const opensea = OpenSeaClient.fromEnv(options.env);
    if (opensea === undefined) return;
    if (findOpenSeaChain(report.chain.chainId) === undefined) {
      progress.emit({
        type: "notice",
        message: `OpenSea: chain ${report.chain.chainId} is not on OpenSea; marketplace sync skipped.`,
      });
      return;
    }
    progress.emit({ type: "notice", message: "Telling OpenSea about new and changed tokens ..." });
    const result = await syncMarketplace({ ...options, progress, contract, opensea });
    for (const message of syncSummary(result)) progress.emit({ type: "notice", message });
  } catch (error) {
    progress.emit({
      type: "warning",
      provider: "opensea",
      message: `OpenSea sync failed: ${describeError(error)}\n  Run npx dcmx marketplace sync to try again.`,
    });
  }
}
