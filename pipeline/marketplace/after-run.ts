import type { PublicClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import { describeError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import { createProgress, type Progress } from "../report/progress.js";
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
  progress?: Progress;
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
      progress.note(`OpenSea: chain ${report.chain.chainId} is not on OpenSea; marketplace sync skipped.`);
      return;
    }
    progress.note("Telling OpenSea about new and changed tokens ...");
    const result = await syncMarketplace({ ...options, progress, contract, opensea });
    for (const line of syncSummary(result)) progress.note(line);
  } catch (error) {
    progress.note(
      `OpenSea sync failed: ${describeError(error)}\n  Run npx dcmx marketplace sync to try again.`,
    );
  }
}
