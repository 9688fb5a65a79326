import { SingleBar } from "cli-progress";
import type { PublicClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import { StorageSet } from "../storage/storage-set.js";
import { auditCollection } from "./audit-collection.js";
import { auditFailed, auditTable, writeAuditReport } from "./audit-report.js";
import { auditReportPath } from "./collection-target.js";

export interface RunAuditOptions {
  client: PublicClient;
  contract: Hex;
  config: PipelineConfig;
  /** JSON report path (default `<workdir>/audit.json`). */
  reportPath?: string;
  gateway?: string;
  concurrency?: number;
}

/**
 * `dcmx verify` and the `verify-collection` task: opens the work directory's storage, audits the
 * collection with a progress bar on a terminal, prints the table and writes the JSON report.
 * Returns the exit code: 1 when anything is missing or corrupt.
 */
export async function runAudit(options: RunAuditOptions): Promise<number> {
  const storage = await StorageSet.open({ workDir: options.config.workDir });
  const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, hideCursor: true }) : undefined;
  try {
    const report = await auditCollection({
      client: options.client,
      contract: options.contract,
      storage,
      includeIpfsBackup: options.config.includeIpfsBackup,
      gateway: options.gateway,
      concurrency: options.concurrency,
      onToken: (_, total) => {
        if (bar && !bar.isActive) bar.start(total, 0);
        bar?.increment();
      },
    });
    bar?.stop();
    const path = options.reportPath ?? auditReportPath(options.config);
    await writeAuditReport(path, report);
    for (const line of auditTable(report)) console.log(line);
    const t = report.totals;
    console.log(
      `\n${report.tokens.length} tokens: ${t.ok} ok, ${t.missing} missing, ${t.corrupt} corrupt, ${t.unreachable} unreachable, ${t.skipped} skipped. Report: ${path}`,
    );
    return auditFailed(report) ? 1 : 0;
  } finally {
    bar?.stop();
    await storage.close();
  }
}
