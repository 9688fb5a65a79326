import type { TracksChain } from "../chain/tracks-chain.js";
import { deploymentKey, type Journal } from "../journal/journal.js";
import type { ScanResult } from "../library/scan.js";
import type { RunReport, TrackReport, TrackStatus } from "../report/report.js";
import type { StorageSet } from "../storage/storage-set.js";
import type { TrackResult } from "./process-track.js";

export interface ReportInput {
  scan: ScanResult;
  journal: Journal;
  storage: StorageSet;
  chain?: TracksChain;
  results: Map<string, TrackResult>;
  mintFailures: Map<string, string>;
  startedAt: Date;
  uploadedBytes: number;
  /** Previews encoded this run (a re-run encodes none). */
  previewsEncoded: number;
  mintTransactions: number;
}

/** The run's report, from the journal (what is true on disk and chain) and this run's results. */
export function buildReport(input: ReportInput): RunReport {
  const { scan, journal, storage, chain } = input;
  const key = chain === undefined ? undefined : deploymentKey(chain.deployment);
  const tracks: TrackReport[] = [];
  for (const track of scan.tracks) {
    const sha256 = track.content.sha256;
    const state = journal.track(sha256);
    const result = input.results.get(sha256);
    const minted = key === undefined ? undefined : state?.minted.get(key);
    const storj = state?.stored.find((o) => o.provider === storage.storj.name && o.kind === "audio");
    const error =
      input.mintFailures.get(sha256) ??
      (result?.status === "failed" || result?.status === "pending" ? result.reason : undefined);
    let status: TrackStatus;
    if (minted !== undefined) status = "minted";
    else if (input.mintFailures.has(sha256) || result?.status === "failed") status = "failed";
    else if (chain === undefined && result?.status === "ready") status = "stored";
    else status = "pending";
    const base = {
      size: track.content.size,
      sha256,
      cid: track.content.cid,
      mimeType: track.mimeType,
      preview:
        state?.preview === undefined
          ? null
          : { cid: state.preview.cid, mimeType: state.preview.mimeType, size: state.preview.size },
      artworkCid: track.artwork?.content.cid ?? null,
      metadataCid: state?.metadata?.cid ?? null,
      tokenId: minted?.tokenId.toString() ?? null,
      txHash: minted?.txHash ?? null,
      storj: storj === undefined ? null : { bucket: storage.storj.bucket, key: storj.locator },
      ipfsProviders: storage.ipfs
        .filter((p) => state?.stored.some((o) => o.provider === p.name && o.kind === "audio"))
        .map((p) => p.name),
    };
    tracks.push({
      file: track.file,
      ...base,
      status,
      duplicateOf: null,
      error: status === "minted" ? null : (error ?? null),
      degraded: result !== undefined && result.status !== "failed" ? result.degraded : [],
    });
    for (const duplicate of track.duplicates) {
      tracks.push({
        file: duplicate,
        ...base,
        status: "duplicate",
        duplicateOf: track.file,
        error: null,
        degraded: [],
      });
    }
  }
  const count = (status: TrackStatus) => tracks.filter((t) => t.status === status).length;
  const skipped = scan.problems.flatMap((p) =>
    p.severity === "warning" ? [] : [{ file: p.file, severity: p.severity, reason: p.message }],
  );
  const unreadable = skipped.filter((s) => s.severity === "error").length;
  return {
    version: 1,
    library: scan.root,
    startedAt: input.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    chain:
      chain === undefined
        ? null
        : { chainId: chain.deployment.chainId, contract: chain.deployment.contract, network: chain.network },
    tracks,
    skipped,
    totals: {
      tracks: tracks.length - count("duplicate") + unreadable,
      successful: count(chain === undefined ? "stored" : "minted"),
      failed: count("failed") + unreadable,
      pending: count("pending"),
      duplicates: count("duplicate"),
      bytes: scan.tracks.reduce((sum, t) => sum + t.content.size, 0),
      uploadedBytes: input.uploadedBytes,
      previewsEncoded: input.previewsEncoded,
      mintTransactions: input.mintTransactions,
      durationMs: Date.now() - input.startedAt.getTime(),
    },
  };
}
