import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type RunReport, type RunSummary, readReport } from "../report/report.js";

/**
 * The report of `mint-library --workers N`, written once by the parent after its workers end: each worker
 * wrote its own report in its own work directory, covering the whole catalog (a worker ends only when no
 * file is left with another worker), so the catalog's rows are those of the report written last (what the
 * ledger held then). What each worker counted of its own work (bytes uploaded, previews encoded, mint
 * transactions) is summed over the workers, and the run lasts from the parent's start to now.
 * A worker's report from an earlier run (left by a worker that stopped before writing one) is not read.
 * Returns undefined when no worker wrote a report this run.
 */
export async function writeCatalogReport(options: {
  path: string;
  /** The workers' report files. */
  reports: string[];
  startedAt: Date;
}): Promise<RunSummary | undefined> {
  const written: RunReport[] = [];
  for (const path of options.reports) {
    if (!existsSync(path)) continue;
    const report = await readReport(path);
    if (Date.parse(report.startedAt) >= options.startedAt.getTime()) written.push(report);
  }
  if (written.length === 0) return undefined;
  const last = written.reduce((latest, report) => (report.finishedAt > latest.finishedAt ? report : latest));
  const sum = (field: "uploadedBytes" | "previewsEncoded" | "mintTransactions") =>
    written.reduce((total, report) => total + report.totals[field], 0);
  const finishedAt = new Date();
  const report: RunReport = {
    ...last,
    startedAt: options.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totals: {
      ...last.totals,
      uploadedBytes: sum("uploadedBytes"),
      previewsEncoded: sum("previewsEncoded"),
      mintTransactions: sum("mintTransactions"),
      durationMs: finishedAt.getTime() - options.startedAt.getTime(),
    },
  };
  // Through a temp file and a rename, as a run's report: a reader never sees half of it.
  await mkdir(dirname(options.path), { recursive: true });
  const temp = `${options.path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temp, options.path);
  const { tracks, skipped, ...summary } = report;
  return summary;
}
