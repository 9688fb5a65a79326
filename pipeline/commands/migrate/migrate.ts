import pLimit, { type LimitFunction } from "p-limit";
import { loadDotEnv } from "../../config/dotenv.js";
import { loadPipelineConfig } from "../../config/pipeline-config.js";
import { AbortedError, describeError, InputError, IntegrityError } from "../../errors.js";
import { type Ledger, openLedger } from "../../ledger/ledger.js";
import type { StorageProvider, StoredObject } from "../../providers/types.js";
import type { RunEvents } from "../../report/events.js";
import { formatBytes } from "../../report/format.js";
import { createProgress } from "../../report/progress.js";
import { StorageSet } from "../../storage/storage-set.js";
import {
  type CopyCandidate,
  clearScratch,
  findVerifiedCopy,
  scratchDir,
} from "../../storage/verified-copy.js";
import { countKnownObjects, type KnownObject, knownObjectBatches } from "./known-objects.js";

export interface MigrationSummary {
  destination: string;
  objects: number;
  copied: number;
  /** On the destination already: recorded there, or found there by the provider's own check. */
  present: number;
  /**
   * No verified copy anywhere, or the destination stored other bytes: running again will not help. Counts
   * only: each object's reason went out as a `failed` event, and a closed provider may fail a whole catalog.
   */
  failed: number;
  /** A provider could not be asked: a later run finishes these. */
  pending: number;
  /** Bytes of the objects sent. */
  bytes: number;
  /** Objects read per source (`local` or a provider), for the copied ones. */
  sources: Record<string, number>;
}

export interface MigrationContext {
  ledger: Ledger;
  destination: StorageProvider;
  /** Providers tried first for a copy when the local file is gone or changed. */
  from?: StorageProvider;
  /** The configured providers, by name: recorded holders that are not configured cannot be read. */
  providers: StorageProvider[];
  /** The release's objects a batch at a time (`knownObjectBatches`). */
  batches: AsyncIterable<KnownObject[]>;
  /** MAX_CONCURRENT_UPLOADS: objects read and sent at once. */
  limit: LimitFunction;
  scratchDir: string;
  progress: RunEvents;
  signal?: AbortSignal;
}

/**
 * Copies every object to the destination from a verified copy and records it there the moment the
 * provider's `put` has checked it (CID compared, content read back), for every track that references it:
 * a run killed at any point repeats no object the ledger records, and an object sent but not recorded
 * is found by the provider's own check and not sent again. A batch is done before the next is read, so
 * memory follows the batch and the concurrency, not the catalog.
 */
export async function migrateObjects(ctx: MigrationContext): Promise<MigrationSummary> {
  const summary: MigrationSummary = {
    destination: ctx.destination.name,
    objects: 0,
    copied: 0,
    present: 0,
    failed: 0,
    pending: 0,
    bytes: 0,
    sources: {},
  };
  for await (const batch of ctx.batches) {
    if (ctx.signal?.aborted) break;
    summary.objects += batch.length;
    await Promise.all(batch.map((object) => ctx.limit(() => migrateOne(ctx, object, summary))));
  }
  if (ctx.signal?.aborted) throw new AbortedError();
  return summary;
}

/** One object copied and recorded, counted in `summary` and told as one ending event (none once stopped). */
async function migrateOne(ctx: MigrationContext, object: KnownObject, summary: MigrationSummary) {
  if (ctx.signal?.aborted) return;
  try {
    const stored = await copyOne(ctx, object, summary);
    await recordOn(ctx.ledger, object, stored);
    if (stored.reused) summary.present++;
    else {
      summary.copied++;
      summary.bytes += stored.size;
    }
    ctx.progress.emit({
      type: "done",
      file: object.label,
      bytes: stored.size,
      outcome: stored.reused ? "already there" : "copied",
    });
  } catch (error) {
    if (error instanceof AbortedError || ctx.signal?.aborted) return;
    const reason = describeError(error);
    if (error instanceof IntegrityError) summary.failed++;
    else summary.pending++;
    ctx.progress.emit({ type: "failed", file: object.label, stage: "copy", error: reason });
  }
}

/** The destination's record of the object: the ledger's, else from a put of a verified copy. */
async function copyOne(
  ctx: MigrationContext,
  object: KnownObject,
  summary: MigrationSummary,
): Promise<StoredObject> {
  const held = object.holders.find((h) => h.provider === ctx.destination.name);
  if (held !== undefined) return { ...held, reused: true };
  const copy = await findVerifiedCopy({
    want: object.address,
    localPath: object.localPath,
    candidates: candidates(ctx, object),
    scratchDir: ctx.scratchDir,
    label: object.label,
    signal: ctx.signal,
  });
  try {
    const stored = await ctx.destination.put({
      kind: object.kind,
      source: copy.source,
      address: object.address,
      mimeType: object.mimeType,
      extension: object.extension,
      signal: ctx.signal,
      onSent: (bytes) => ctx.progress.emit({ type: "bytes-sent", bytes }),
    });
    if (!stored.reused) summary.sources[copy.from] = (summary.sources[copy.from] ?? 0) + 1;
    return stored;
  } finally {
    await copy.release();
  }
}

/** The configured providers the ledger says hold the object, `--from` first. */
function candidates(ctx: MigrationContext, object: KnownObject): CopyCandidate[] {
  const found = object.holders.flatMap((held) => {
    const provider = ctx.providers.find((p) => p.name === held.provider);
    return provider === undefined || provider === ctx.destination ? [] : [{ provider, object: held }];
  });
  return found.sort((a, b) => Number(b.provider === ctx.from) - Number(a.provider === ctx.from));
}

/** A `stored` record for every track that references the object and whose ledger entry lacks it there. */
async function recordOn(ledger: Ledger, object: KnownObject, stored: StoredObject): Promise<void> {
  for (const sha256 of object.tracks) {
    const known = (await ledger.track(sha256))?.stored.some(
      (o) => o.provider === stored.provider && o.kind === object.kind && o.sha256 === stored.sha256,
    );
    if (!known) await ledger.record({ type: "stored", sha256, object: stored });
  }
}

/** The main job's exit codes: 1 when an object failed for good, 75 when some wait for a provider. */
export function migrationExitCode(summary: MigrationSummary): number {
  if (summary.failed > 0) return 1;
  return summary.pending > 0 ? 75 : 0;
}

export function summaryLines(summary: MigrationSummary): string[] {
  const sources = Object.entries(summary.sources)
    .map(([from, count]) => `${from} ${count}`)
    .join(", ");
  const lines = [
    `Migration to ${summary.destination}: ${summary.objects} objects — ${summary.copied} copied (${formatBytes(summary.bytes)}), ${summary.present} already there, ${summary.failed} failed, ${summary.pending} waiting for a provider.`,
    `Copied from: ${sources || "nothing copied"}.`,
  ];
  if (summary.pending > 0)
    lines.push("Run dcmx migrate again once the provider answers: it resumes where this run stopped.");
  lines.push(
    "Tokens need no change: their ipfs:// URIs name the content, not a place, so a gateway that reaches the new backend serves them as before.",
  );
  return lines;
}

/**
 * `dcmx migrate`: copies every object the work directory's ledger knows to the provider `to`, printing a
 * progress bar (or lines) and a summary. Returns the exit code.
 */
export async function runMigrate(options: {
  to: string;
  from?: string;
  workDir?: string;
  env?: Record<string, string | undefined>;
}): Promise<number> {
  const env = options.env ?? loadDotEnv();
  const config = loadPipelineConfig(env, { workDir: options.workDir });
  const ledger = await openLedger(config);
  try {
    await clearScratch(config.workDir);
    const total = await countKnownObjects(ledger, config.library);
    if (total === 0) {
      throw new InputError("NOTHING_STORED", "the ledger records no stored object", {
        file: ledger.location,
        hint: "run the main job (npm run mint or dcmx upload) first, or pass the --workdir it used",
      });
    }
    const storage = await StorageSet.open({ env, workDir: config.workDir });
    try {
      const destination = storage.provider(options.to, "--to");
      const from = options.from === undefined ? undefined : storage.provider(options.from, "--from");
      if (from === destination) {
        throw new InputError("USAGE", `--from and --to both name ${destination.name}`, {
          field: "--from",
          hint: "name the provider that holds the objects, or leave --from out",
        });
      }
      const progress = createProgress(undefined, "objects");
      progress.emit({ type: "started", total });
      let summary: MigrationSummary;
      try {
        summary = await migrateObjects({
          ledger,
          destination,
          from,
          providers: storage.all(),
          batches: knownObjectBatches(ledger, config.library),
          limit: pLimit(config.maxConcurrentUploads),
          scratchDir: scratchDir(config.workDir),
          progress,
        });
      } finally {
        progress.emit({ type: "finished" });
      }
      for (const line of summaryLines(summary)) console.log(line);
      return migrationExitCode(summary);
    } finally {
      await storage.close();
    }
  } finally {
    await ledger.close();
  }
}
