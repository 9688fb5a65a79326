import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { TracksChain } from "../chain/tracks-chain.js";
import type { Ledger } from "../ledger/ledger.js";
import { deploymentKey, type RecordOf } from "../ledger/records.js";
import { type RunSummary, type TrackReport, TrackReportSchema, type TrackStatus } from "../report/report.js";
import type { ScanSummary } from "../scan/scan-library.js";
import type { StorageSet } from "../storage/storage-set.js";
import { redact } from "../util/secrets.js";

export interface ReportInput {
  path: string;
  /** The run whose outcomes the ledger holds. */
  run: string;
  scan: ScanSummary;
  ledger: Ledger;
  storage: StorageSet;
  chain?: TracksChain;
  startedAt: Date;
  uploadedBytes: number;
  /** Previews encoded this run (a re-run encodes none). */
  previewsEncoded: number;
  mintTransactions: number;
}

/**
 * Writes the run's report from the ledger (what is true on disk and chain) and this run's outcomes, a
 * page of tracks at a time, so a catalog's report costs a page of memory. Written to a temp file and
 * renamed, redacted: a reader never sees half a report or a secret. Returns everything but the rows.
 */
export async function writeRunReport(input: ReportInput): Promise<RunSummary> {
  const { ledger, storage, chain } = input;
  const key = chain === undefined ? undefined : deploymentKey(chain.deployment);
  const head = {
    version: 1 as const,
    library: input.scan.root,
    startedAt: input.startedAt.toISOString(),
    chain:
      chain === undefined
        ? null
        : { chainId: chain.deployment.chainId, contract: chain.deployment.contract, network: chain.network },
  };
  const count: Record<TrackStatus, number> = { minted: 0, stored: 0, failed: 0, pending: 0, duplicate: 0 };
  let bytes = 0;
  let degraded = 0;

  await mkdir(dirname(input.path), { recursive: true });
  const temp = `${input.path}.${process.pid}.tmp`;
  const file = await open(temp, "w");
  try {
    const write = (text: string) => file.write(redact(text));
    await write(
      `{\n${Object.entries(head)
        .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
        .join("")}  "tracks": [`,
    );
    let written = 0;
    for await (const page of ledger.outcomes(input.run)) {
      const states = await ledger.tracksOf([...new Set(page.map((o) => o.sha256))]);
      const rows = page.map((outcome) => trackRow(outcome, states.get(outcome.sha256), key, storage, chain));
      for (const row of rows) {
        count[row.status]++;
        if (row.status !== "duplicate") bytes += row.size;
        if (row.degraded.length > 0) degraded++;
      }
      await write(
        rows
          .map((row) => `${written++ === 0 ? "" : ","}\n    ${JSON.stringify(TrackReportSchema.parse(row))}`)
          .join(""),
      );
    }
    const skipped = input.scan.problems.flatMap((p) =>
      p.severity === "warning" ? [] : [{ file: p.file, severity: p.severity, reason: p.message }],
    );
    const unreadable = skipped.filter((s) => s.severity === "error").length;
    const summary: RunSummary = {
      ...head,
      finishedAt: new Date().toISOString(),
      totals: {
        tracks: count.minted + count.stored + count.failed + count.pending + unreadable,
        successful: chain === undefined ? count.stored : count.minted,
        failed: count.failed + unreadable,
        pending: count.pending,
        duplicates: count.duplicate,
        degraded,
        bytes,
        uploadedBytes: input.uploadedBytes,
        previewsEncoded: input.previewsEncoded,
        mintTransactions: input.mintTransactions,
        durationMs: Date.now() - input.startedAt.getTime(),
      },
    };
    await write(
      `\n  ],\n  "skipped": ${JSON.stringify(skipped)},\n  "finishedAt": ${JSON.stringify(summary.finishedAt)},\n  "totals": ${JSON.stringify(summary.totals)}\n}\n`,
    );
    await file.close();
    await rename(temp, input.path);
    return summary;
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}

/** One row of the report: the outcome this run recorded, with what the ledger holds for the track. */
function trackRow(
  outcome: RecordOf<"outcome">,
  state: Awaited<ReturnType<Ledger["track"]>>,
  key: string | undefined,
  storage: StorageSet,
  chain: TracksChain | undefined,
): TrackReport {
  const minted = key === undefined ? undefined : state?.minted.get(key);
  const storj = state?.stored.find((o) => o.provider === storage.storj.name && o.kind === "audio");
  let status: TrackStatus;
  if (outcome.status === "duplicate") status = "duplicate";
  else if (minted !== undefined) status = "minted";
  else if (outcome.status === "failed") status = "failed";
  else if (chain === undefined && outcome.status === "stored") status = "stored";
  else status = "pending";
  return {
    file: outcome.file,
    size: state?.size ?? 0,
    sha256: outcome.sha256,
    cid: state?.cid ?? "",
    mimeType: state?.mimeType ?? "",
    preview:
      state?.preview === undefined
        ? null
        : { cid: state.preview.cid, mimeType: state.preview.mimeType, size: state.preview.size },
    artworkCid: state?.artwork?.cid ?? null,
    metadataCid: state?.metadata?.cid ?? null,
    tokenId: minted?.tokenId.toString() ?? null,
    txHash: minted?.txHash ?? null,
    storj: storj === undefined ? null : { bucket: storage.storj.bucket, key: storj.locator },
    ipfsProviders: storage.ipfs
      .filter((p) => state?.stored.some((o) => o.provider === p.name && o.kind === "audio"))
      .map((p) => p.name),
    status,
    duplicateOf: outcome.duplicateOf ?? null,
    error: status === "minted" || status === "duplicate" ? null : (outcome.error ?? null),
    degraded: status === "failed" || status === "duplicate" ? [] : outcome.degraded,
  };
}
