import { readFile } from "node:fs/promises";
import { z } from "zod";
import { formatBytes, formatDuration } from "./format.js";

export const TrackStatusSchema = z.enum(["minted", "stored", "failed", "pending", "duplicate"]);
export type TrackStatus = z.infer<typeof TrackStatusSchema>;

export const TrackReportSchema = z.object({
  file: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  cid: z.string(),
  mimeType: z.string(),
  /** The playable rendition `animation_url` points at, when the master is not MP3, WAV or OGG. */
  preview: z.object({ cid: z.string(), mimeType: z.string(), size: z.number() }).nullable().default(null),
  artworkCid: z.string().nullable(),
  metadataCid: z.string().nullable(),
  tokenId: z.string().nullable(),
  txHash: z.string().nullable(),
  storj: z.object({ bucket: z.string(), key: z.string() }).nullable(),
  ipfsProviders: z.array(z.string()),
  status: TrackStatusSchema,
  /** For duplicates: the file whose track this one is. */
  duplicateOf: z.string().nullable(),
  error: z.string().nullable(),
  /** Copies a backup did not take this run ("audio on kubo: <reason>"); the next run retries them. */
  degraded: z.array(z.string()).default([]),
});
export type TrackReport = z.infer<typeof TrackReportSchema>;

/** The JSON summary of a run: the one machine-readable answer to "what happened to my library". */
export const RunReportSchema = z.object({
  version: z.literal(1),
  library: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  chain: z.object({ chainId: z.number(), contract: z.string().nullable(), network: z.string() }).nullable(),
  tracks: z.array(TrackReportSchema),
  /** Files that are not tracks: unreadable audio (`error`, counted as failed) or deliberately left out (`skipped`). */
  skipped: z.array(
    z.object({ file: z.string(), severity: z.enum(["error", "skipped"]), reason: z.string() }),
  ),
  totals: z.object({
    tracks: z.number(),
    successful: z.number(),
    failed: z.number(),
    pending: z.number(),
    duplicates: z.number(),
    /** Tracks some backup did not take this run (see each track's `degraded`). */
    degraded: z.number().default(0),
    bytes: z.number(),
    uploadedBytes: z.number(),
    previewsEncoded: z.number().default(0),
    mintTransactions: z.number(),
    durationMs: z.number(),
  }),
});
export type RunReport = z.infer<typeof RunReportSchema>;
/** A report without its rows: what a run hands back (the rows are in the file). */
export type RunSummary = Omit<RunReport, "tracks" | "skipped">;

/** A report file read back whole (a catalog's report is large: streaming readers read the file themselves). */
export async function readReport(path: string): Promise<RunReport> {
  return RunReportSchema.parse(JSON.parse(await readFile(path, "utf8")));
}

/** The closing lines in the original design's format. */
export function summaryLines(report: RunSummary, reportPath: string): string[] {
  const t = report.totals;
  const lines = [
    "",
    "Summary:",
    `  Successful: ${t.successful}/${t.tracks} tracks`,
    `  Failed: ${t.failed} tracks`,
  ];
  if (t.pending > 0) lines.push(`  Pending: ${t.pending} tracks (stored; run again to finish)`);
  if (t.degraded > 0)
    lines.push(
      `  Degraded: ${t.degraded} tracks lack a backup copy (see "degraded" in the report; run again to retry)`,
    );
  if (t.duplicates > 0) lines.push(`  Duplicates: ${t.duplicates} files (same audio as another track)`);
  lines.push(
    `  Total size: ${formatBytes(t.bytes)} (uploaded this run: ${formatBytes(t.uploadedBytes)})`,
    `  Mint transactions: ${t.mintTransactions}`,
    `  Duration: ${formatDuration(t.durationMs)}`,
  );
  if (report.chain)
    lines.push(
      `  Contract: ${report.chain.contract ?? "none"} on chain ${report.chain.chainId} (${report.chain.network})`,
    );
  lines.push(`  Report: ${reportPath}`);
  return lines;
}
