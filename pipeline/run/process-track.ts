// Longer than 300 lines because it is one track's whole way through the stages, with the rule for each
// setback (fail, wait, or go on degraded) beside the step it judges.
import type { LimitFunction } from "p-limit";
import type { RequireName } from "../config/pipeline-config.js";
import { AbortedError, describeError, InputError, IntegrityError } from "../errors.js";
import type { TrackState } from "../ledger/ledger.js";
import type { JournalRecord } from "../ledger/records.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import type { ObjectKind, PutRequest, StoredObject } from "../providers/types.js";
import type { RunEvents } from "../report/events.js";
import { buildMetadata } from "../stages/metadata.js";
import { type PreviewSettings, preparePreview } from "../stages/preview.js";
import { type StoreOutcome, storeObject } from "../stages/store.js";
import { verifyTrack } from "../stages/verify.js";
import { blocksMint, OBJECT_KINDS, route } from "../storage/routing.js";
import type { StorageSet } from "../storage/storage-set.js";

export interface TrackPolicy {
  /** What must hold the audio before the track may be minted (DCMX_REQUIRE). */
  require: RequireName[];
  includeIpfsBackup: boolean;
  /**
   * The public network the track is minted on, when strangers must be able to fetch what its token points
   * at: then a remote backend must hold each of its objects (the routing table's `one`).
   */
  publicNetwork?: string;
}

/** What went to fewer places than the policy routes it to: "audio on kubo: <reason>", retried next run. */
type Degraded = { degraded: string[] };

/** The error behind a setback, for a caller that throws it (the programmatic API). */
type Cause = { cause?: unknown };

export type TrackResult =
  | ({ status: "ready"; metadataCid: string; uploadedBytes: number } & Degraded)
  /** Stored where it could be, but a required provider failed: a later run finishes it. */
  | ({ status: "pending"; reason: string; uploadedBytes: number } & Degraded & Cause)
  | ({ status: "failed"; stage: string; reason: string; uploadedBytes: number } & Cause);

export interface StageContext {
  /** The runner's recorder: every fact about the track goes through it, durable when it resolves. */
  record: (record: JournalRecord) => Promise<void>;
  storage: StorageSet;
  policy: TrackPolicy;
  workDir: string;
  /** Bounds audio and artwork uploads (MAX_CONCURRENT_UPLOADS). */
  uploadLimit: LimitFunction;
  /**
   * Bounds metadata pins separately: a pin is one small block, and queueing it behind multi-megabyte audio
   * uploads only delays the track's mint.
   */
  pinLimit: LimitFunction;
  preview: PreviewSettings;
  signal?: AbortSignal;
  /** Told of bytes sent, objects stored and providers that failed to store one (which stop no track). */
  events: RunEvents;
}

/**
 * Takes one scanned track from its bytes to a verified, mintable state: audio to the S3 primary and the
 * IPFS backup, artwork to IPFS, metadata built from where they landed, pinned, then verified. Every step
 * that already happened (ledger) is skipped, so a re-run only does what is missing. The steps return what
 * they did and this function hands each fact to the runner's recorder the moment it is true. `known` is
 * what the ledger held for the track when the caller read it (undefined for a track new to it).
 */
export async function processTrack(
  ctx: StageContext,
  track: ScannedTrack,
  known: TrackState | undefined,
): Promise<TrackResult> {
  const sha256 = track.content.sha256;
  const routing = ctx.storage.policy(ctx.policy);
  let uploadedBytes = 0;
  let stage = "record";
  const degraded: string[] = [];
  const fail = (reason: string, cause: unknown): TrackResult => ({
    status: "failed",
    stage,
    reason,
    uploadedBytes,
    cause,
  });
  const pending = (reason: string, cause?: unknown): TrackResult => ({
    status: "pending",
    reason,
    uploadedBytes,
    degraded,
    cause,
  });
  // A provider that answered with bytes or a CID we did not compute, or a file that can no longer be read as
  // it was scanned, fails the track; any other failure of a provider that must hold the object before the
  // mint (the routing table) leaves it pending for a later run; the others are reported and retried.
  const setback = (kind: ObjectKind, outcome: StoreOutcome): TrackResult | undefined => {
    const reasons = outcome.failures.map((f) => f.reason).join("; ");
    const fault = outcome.failures.find(isTrackFault);
    if (fault) return fail(reasons, fault.error);
    for (const failure of outcome.failures) {
      degraded.push(`${kind} on ${failure.target.provider.name}: ${failure.reason}`);
      ctx.events.emit({
        type: "warning",
        file: track.file,
        provider: failure.target.provider.name,
        message: `${track.file}: ${kind} not stored on ${failure.target.provider.name} (${failure.target.role}): ${failure.reason}`,
      });
    }
    const needed = outcome.failures.filter((f) => blocksMint(kind, f.target.role, routing));
    if (needed.length === 0) return undefined;
    return pending(`${kind}: ${needed.map((f) => f.reason).join("; ")}`, needed[0]!.error);
  };
  try {
    const existing = known?.stored ?? [];
    const onStored = async (object: StoredObject) => {
      await ctx.record({ type: "stored", sha256, object });
      ctx.events.emit({ type: "stored", file: track.file, kind: object.kind, provider: object.provider });
    };
    // A file to every provider its kind is routed to, each copy recorded the moment it is held, its bytes
    // counted and its failures judged by `setback`.
    const upload = async (request: Omit<PutRequest, "signal" | "onSent">) => {
      const targets = ctx.storage.providersFor(request.kind, ctx.policy.includeIpfsBackup);
      const onSent = (bytes: number) => ctx.events.emit({ type: "bytes-sent", bytes });
      const put = { ...request, signal: ctx.signal, onSent };
      const outcome = await storeObject({
        targets,
        request: put,
        existing,
        onStored,
        uploadLimit: ctx.uploadLimit,
      });
      uploadedBytes += outcome.uploadedBytes;
      return { outcome, setback: setback(request.kind, outcome) };
    };
    if (
      known?.file !== track.file ||
      known.nameBytes !== track.nameBytes ||
      known.modifiedMs !== track.modifiedMs ||
      known.ino !== track.ino
    ) {
      await ctx.record({
        type: "track",
        sha256,
        file: track.file,
        nameBytes: track.nameBytes,
        size: track.content.size,
        cid: track.content.cid,
        profile: track.content.profile,
        mimeType: track.mimeType,
        modifiedMs: track.modifiedMs,
        ino: track.ino,
      });
    }

    stage = "upload audio";
    const { outcome: audio, setback: audioSetback } = await upload({
      kind: "audio",
      source: { path: track.path },
      address: track.content,
      mimeType: track.mimeType,
      extension: track.extension,
      meta: descriptiveMeta(track),
    });
    if (audioSetback) return audioSetback;

    stage = "encode preview";
    const holders = ctx.storage
      .providersFor("preview", ctx.policy.includeIpfsBackup)
      .map((t) => t.provider.name);
    const prepared = await preparePreview(known, track, ctx.preview, holders, ctx.signal);
    if (prepared?.encoded) await ctx.record({ type: "preview", sha256, preview: prepared.preview });
    const preview = prepared?.preview;
    let previewStored: StoreOutcome | undefined;
    if (preview !== undefined) {
      stage = "upload preview";
      const stored = await upload({
        kind: "preview",
        source: { path: preview.path },
        address: preview,
        mimeType: preview.mimeType,
        extension: preview.extension,
        meta: descriptiveMeta(track),
      });
      if (stored.setback) return stored.setback;
      previewStored = stored.outcome;
    }

    stage = "upload artwork";
    let artwork: StoreOutcome | undefined;
    if (track.artwork !== undefined) {
      const art = track.artwork;
      if (known?.artwork?.sha256 !== art.content.sha256) {
        await ctx.record({
          type: "artwork",
          sha256,
          artwork: {
            sha256: art.content.sha256,
            cid: art.content.cid,
            size: art.content.size,
            mimeType: art.mimeType,
            source: art.source,
            // A path that is not UTF-8 is not kept as text; migrate then copies from a provider.
            path: typeof art.path === "string" ? art.path : undefined,
          },
        });
      }
      const stored = await upload({
        kind: "artwork",
        source: { path: art.path },
        address: art.content,
        mimeType: art.mimeType,
        extension: art.extension,
      });
      if (stored.setback) return stored.setback;
      artwork = stored.outcome;
    }

    stage = "build metadata";
    const storjObject = audio.stored.find((o) => o.provider === ctx.storage.storj.name);
    const metadata = await buildMetadata(
      track,
      {
        audioCid: track.content.cid,
        artworkCid: track.artwork?.content.cid,
        preview,
        storj:
          storjObject && !ctx.storage.embeddedS3
            ? { bucket: ctx.storage.storj.bucket, key: storjObject.locator }
            : undefined,
      },
      ctx.workDir,
    );
    if (known?.metadata?.cid !== metadata.cid) {
      await ctx.record({ type: "metadata", sha256, cid: metadata.cid, path: metadata.path });
    }

    stage = "pin metadata";
    const metadataTargets = ctx.storage.providersFor("metadata", ctx.policy.includeIpfsBackup);
    const pinned = await storeObject({
      targets: metadataTargets,
      existing,
      onStored,
      uploadLimit: ctx.pinLimit,
      request: {
        kind: "metadata",
        source: { bytes: metadata.bytes },
        address: metadata.address,
        mimeType: "application/json",
        extension: ".json",
        signal: ctx.signal,
      },
    });
    const pinSetback = setback("metadata", pinned);
    if (pinSetback) return pinSetback;

    const held = { audio, preview: previewStored, artwork, metadata: pinned };
    const unfetched = OBJECT_KINDS.filter((kind) => {
      const outcome = held[kind];
      return (
        outcome !== undefined &&
        route(kind, "remote", routing).beforeMint === "one" &&
        !outcome.stored.some((o) => isRemote(outcome, o))
      );
    });
    if (unfetched.length > 0) return pending(unfetchable(ctx, unfetched));

    stage = "verify";
    if (known?.verifiedMetadataCid !== metadata.cid) {
      // The copies the mint relies on: every one the routing table says must be held before it.
      const objects = [
        ...pairs(audio, track.content.cid, sha256),
        ...(previewStored && preview ? pairs(previewStored, preview.cid, preview.sha256) : []),
        ...(artwork && track.artwork
          ? pairs(artwork, track.artwork.content.cid, track.artwork.content.sha256)
          : []),
        ...pairs(pinned, metadata.cid, metadata.address.sha256),
      ].filter((p) => blocksMint(p.object.kind, p.target.role, routing));
      await verifyTrack({ sha256, file: track.file, objects, metadata }, ctx.signal);
      await ctx.record({ type: "verified", sha256, metadataCid: metadata.cid });
    }
    return { status: "ready", metadataCid: metadata.cid, uploadedBytes, degraded };
  } catch (error) {
    if (error instanceof AbortedError || ctx.signal?.aborted) throw new AbortedError();
    const reason = describeError(error);
    await ctx.record({ type: "failed", sha256, stage, error: reason });
    return fail(reason, error);
  }
}

/** The x-amz-meta-* an object carries besides its hashes, so a bucket listing is readable by a person. */
function descriptiveMeta(track: ScannedTrack): Record<string, string> {
  const meta: Record<string, string> = { title: track.tags.title, artist: track.tags.artist };
  if (track.tags.album !== undefined) meta.album = track.tags.album;
  return meta;
}

/** A failure no provider can mend: wrong bytes or CID, or the track's own file gone or unreadable. */
function isTrackFault(failure: StoreOutcome["failures"][number]): boolean {
  return failure.error instanceof IntegrityError || failure.error instanceof InputError;
}

function isRemote(outcome: StoreOutcome, object: StoredObject): boolean {
  return outcome.targets.some((t) => t.role === "remote" && t.provider.name === object.provider);
}

/** Why a track on a public network waits, and the two ways out. */
function unfetchable(ctx: StageContext, missing: ObjectKind[]): string {
  const cause =
    ctx.storage.remotes.length === 0
      ? "no remote IPFS backend is configured"
      : !ctx.policy.includeIpfsBackup && missing.includes("audio")
        ? "INCLUDE_IPFS_BACKUP is off, so the audio goes to no IPFS backend"
        : `every remote backend failed (${ctx.storage.remotes.map((p) => p.name).join(", ")}; see the lines above)`;
  return (
    `not minted on ${ctx.policy.publicNetwork}: the ${missing.join(", ")} would be only on this machine (${cause}), ` +
    "and a token must point at content strangers can fetch. Configure a remote IPFS backend " +
    "(docs/STORAGE_SETUP.md) and run again, or set DCMX_ALLOW_LOCAL_ONLY=1 to mint anyway"
  );
}

function pairs(outcome: StoreOutcome, expectedCid: string, expectedSha256: string) {
  return outcome.stored.map((object) => {
    const target = outcome.targets.find((t) => t.provider.name === object.provider)!;
    return { target, object, expectedCid, expectedSha256 };
  });
}
