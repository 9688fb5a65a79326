import { SingleBar } from "cli-progress";
import type { PublicClient } from "viem";
import { type AuditReport, auditFailed, auditTable, writeAuditReport } from "../../audit/audit-report.js";
import { auditReportPath } from "../../audit/collection-target.js";
import type { Hex } from "../../chain/tracks-chain.js";
import type { PipelineConfig } from "../../config/pipeline-config.js";
import { openLedger } from "../../ledger/ledger.js";
import { createProgress } from "../../report/progress.js";
import { StorageSet } from "../../storage/storage-set.js";
import { clearScratch, scratchDir } from "../../storage/verified-copy.js";
import { auditCollection, metadataSources } from "./audit-collection.js";
import { repairReport } from "./repair.js";

export interface RunAuditOptions {
  client: PublicClient;
  contract: Hex;
  config: PipelineConfig;
  /** JSON report path (default `<workdir>/audit.json`). */
  reportPath?: string;
  gateway?: string;
  concurrency?: number;
  /** Re-upload what a provider lost or corrupted from a verified copy, then re-check it. */
  repair?: boolean;
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
    let report = await auditCollection({
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
    let repairLine: string | undefined;
    if (options.repair && auditFailed(report)) {
      const repaired = await repair(report, storage, options);
      report = repaired.report;
      repairLine = repaired.line;
    }
    const path = options.reportPath ?? auditReportPath(options.config);
    await writeAuditReport(path, report);
    for (const line of auditTable(report)) console.log(line);
    const t = report.totals;
    console.log(
      `\n${report.tokens.length} tokens: ${t.ok} ok, ${t.missing} missing, ${t.corrupt} corrupt, ${t.unreachable} unreachable, ${t.skipped} skipped. Report: ${path}`,
    );
    if (repairLine !== undefined) console.log(repairLine);
    return auditFailed(report) ? 1 : 0;
  } finally {
    bar?.stop();
    await storage.close();
  }
}

/** `--repair`: the work directory's ledger is held while copies are sent, as during a run. */
async function repair(
  report: AuditReport,
  storage: StorageSet,
  options: RunAuditOptions,
): Promise<{ report: AuditReport; line: string }> {
  const { config } = options;
  const ledger = await openLedger(config);
  const progress = createProgress(undefined, "objects");
  try {
    await clearScratch(config.workDir);
    const result = await repairReport(report, {
      client: options.client,
      contract: options.contract,
      sources: metadataSources(storage, options.gateway),
      holders: storage.providersFor("audio", config.includeIpfsBackup),
      metadataHolders: storage.providersFor("metadata", config.includeIpfsBackup).map((t) => t.provider),
      ledger,
      library: config.library,
      workDir: config.workDir,
      scratchDir: scratchDir(config.workDir),
      progress,
    });
    const { attempted, repaired, sources } = result.summary;
    const from = Object.entries(sources)
      .map(([source, count]) => `${source} ${count}`)
      .join(", ");
    return {
      report: result.report,
      line: `Repair: ${repaired} of ${attempted} failing checks ok after re-upload (copied from: ${from || "nothing copied"}).`,
    };
  } finally {
    progress.emit({ type: "finished" });
    await ledger.close();
  }
}
