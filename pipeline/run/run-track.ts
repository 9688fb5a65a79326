import type { PipelineConfig } from "../config/pipeline-config.js";
import type { ContentAddress } from "../content/types.js";
import type { TrackState } from "../ledger/ledger.js";
import type { RecordOf } from "../ledger/records.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import { needsPreview } from "../preview/formats.js";
import type { ObjectKind, StoredObject } from "../providers/types.js";
import type { StorageSet } from "../storage/storage-set.js";
import { processTrack, type StageContext } from "./process-track.js";

/** What one track's step needs of the run it is part of. */
export interface TrackStepContext extends Omit<StageContext, "policy" | "workDir"> {
  /** The run's key: the track's outcome is recorded under it. */
  run: string;
  config: PipelineConfig;
  /** Several workers share the work (DCMX_WORKER): another may have finished a track this one meets. */
  workers: boolean;
}

/** The deployment a run mints on, as a track's step needs it. */
export interface TrackMint {
  /** The deployment's key in the ledger's minted records. */
  key: string;
  /** The network's name when tracks must be on a remote backend before they are minted there. */
  publicNetwork?: string;
  /** Hands a stored and verified track to the minter; `outcome` is recorded with its mint-ready record. */
  queue(track: ScannedTrack, outcome: RecordOf<"outcome">, metadataCid: string): Promise<void>;
}

export interface TrackStep {
  /** What was recorded for the track (for a track queued to mint, what `queue` records). */
  outcome: RecordOf<"outcome">;
  uploadedBytes: number;
  /** The verified metadata, for a track stored and verified (or minted) this time. */
  metadataCid?: string;
  /** The error that failed the track or left it pending, for a caller that throws it. */
  cause?: unknown;
}

/**
 * One track's step, the same whoever asks (the runner for each scanned track, the programmatic API for one):
 * nothing done for a track minted with every copy in place, otherwise its stages (`processTrack`), then its
 * outcome recorded and told. `state` is the track's state as the caller read it from the ledger (the
 * runner's settled check reads it anyway: one lookup a track). `mint` is omitted when nothing is minted.
 */
export async function runTrack(
  ctx: TrackStepContext,
  track: ScannedTrack,
  order: number,
  state: TrackState | undefined,
  mint?: TrackMint,
): Promise<TrackStep> {
  const { run, config, workers, ...stages } = ctx;
  const { record, storage, events } = ctx;
  const outcome = (status: RecordOf<"outcome">["status"], extra: Partial<RecordOf<"outcome">> = {}) =>
    trackOutcome(run, track, order, status, extra);
  // A minted track goes through the stages again only to retry the backups that failed before: every
  // stored copy is skipped (ledger) and nothing is minted again.
  const minted = mint !== undefined && state?.minted.has(mint.key);
  const complete = !copiesMissing(storage, config, track, state?.stored ?? []);
  if (minted && complete) {
    const result = await alreadyMinted(ctx, track, order);
    return { outcome: result, uploadedBytes: 0, metadataCid: state?.verifiedMetadataCid };
  }
  const ready = async (
    degraded: string[],
    metadataCid: string,
    uploadedBytes: number,
  ): Promise<TrackStep> => {
    if (minted)
      return { outcome: await alreadyMinted(ctx, track, order, degraded), uploadedBytes, metadataCid };
    const result = outcome(mint ? "ready" : "stored", { degraded });
    if (mint) {
      await mint.queue(track, result, metadataCid);
    } else {
      await record(result);
      events.emit({ type: "done", file: track.file, bytes: track.content.size, outcome: "stored" });
    }
    return { outcome: result, uploadedBytes, metadataCid };
  };
  // Another worker may have finished the track (it claims files, not contents): what it verified is
  // not read back again, only queued for the mint.
  if (workers && complete && state?.verifiedMetadataCid !== undefined && !state.failure) {
    return ready([], state.verifiedMetadataCid, 0);
  }
  const result = await processTrack(
    {
      ...stages,
      policy: { ...config, publicNetwork: minted ? undefined : mint?.publicNetwork },
      workDir: config.workDir,
    },
    track,
    state,
  );
  const { uploadedBytes } = result;
  if (result.status === "failed") {
    const failed = outcome("failed", { error: `${result.stage}: ${result.reason}` });
    await record(failed);
    events.emit({ type: "failed", file: track.file, stage: result.stage, error: result.reason });
    return { outcome: failed, uploadedBytes, cause: result.cause };
  }
  if (result.status === "pending") {
    const pending = outcome("pending", { error: result.reason, degraded: result.degraded });
    await record(pending);
    events.emit({ type: "pending", file: track.file, reason: result.reason });
    return { outcome: pending, uploadedBytes, cause: result.cause };
  }
  return ready(result.degraded, result.metadataCid, uploadedBytes);
}

/** What a run records and tells of a track: its file and content. */
type TrackSeen = { file: string; content: Pick<ContentAddress, "sha256" | "size"> };

/**
 * A track minted on the run's deployment before (its backups retried this time, or `degraded` still): its
 * outcome recorded and its `done` told, nothing sent. The runner's settled tracks and `runTrack` alike.
 */
export async function alreadyMinted(
  ctx: Pick<TrackStepContext, "run" | "record" | "events">,
  track: TrackSeen,
  order: number,
  degraded: string[] = [],
): Promise<RecordOf<"outcome">> {
  const result = trackOutcome(ctx.run, track, order, "already-minted", { degraded });
  await ctx.record(result);
  ctx.events.emit({ type: "done", file: track.file, bytes: track.content.size, outcome: "already minted" });
  return result;
}

function trackOutcome(
  run: string,
  track: TrackSeen,
  order: number,
  status: RecordOf<"outcome">["status"],
  extra: Partial<RecordOf<"outcome">> = {},
): RecordOf<"outcome"> {
  return {
    type: "outcome",
    run,
    order,
    file: track.file,
    sha256: track.content.sha256,
    status,
    degraded: [],
    ...extra,
  };
}

/**
 * Whether a provider the routing policy names has no record of one of the track's objects yet: the track
 * as scanned, or as the ledger knows it (its recorded artwork and MIME type).
 */
export function copiesMissing(
  storage: StorageSet,
  config: PipelineConfig,
  track: { mimeType: string; artwork?: unknown },
  stored: StoredObject[],
): boolean {
  const kinds: ObjectKind[] = ["audio", "metadata"];
  if (track.artwork) kinds.push("artwork");
  if (needsPreview(track)) kinds.push("preview");
  return kinds.some((kind) =>
    storage
      .providersFor(kind, config.includeIpfsBackup)
      .some(({ provider }) => !stored.some((o) => o.kind === kind && o.provider === provider.name)),
  );
}
