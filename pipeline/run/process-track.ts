import type { LimitFunction } from "p-limit";
import { AbortedError, describeError, IntegrityError } from "../errors.js";
import type { Journal } from "../journal/journal.js";
import type { ScannedTrack } from "../library/scan.js";
import { buildMetadata } from "../stages/metadata.js";
import { type StoreOutcome, storeObject } from "../stages/store.js";
import { verifyTrack } from "../stages/verify.js";
import type { StorageRole, StorageSet } from "../storage/storage-set.js";

export interface TrackPolicy {
  /** Roles that must hold the audio before the track may be minted. */
  require: StorageRole[];
  includeIpfsBackup: boolean;
}

export type TrackResult =
  | { status: "ready"; metadataCid: string; uploadedBytes: number }
  /** Stored where it could be, but a required provider failed: a later run finishes it. */
  | { status: "pending"; reason: string; uploadedBytes: number }
  | { status: "failed"; stage: string; reason: string; uploadedBytes: number };

interface Context {
  journal: Journal;
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
  signal?: AbortSignal;
  note: (message: string) => void;
  /** Bytes that went out to a provider, for progress. */
  sent?: (bytes: number) => void;
}

/**
 * Takes one scanned track from its bytes to a verified, mintable state: audio to the S3 primary and the
 * IPFS backup, artwork to IPFS, metadata built from where they landed, pinned, then verified. Every step
 * that already happened (journal) is skipped, so a re-run only does what is missing.
 */
export async function processTrack(ctx: Context, track: ScannedTrack): Promise<TrackResult> {
  const sha256 = track.content.sha256;
  let uploadedBytes = 0;
  let stage = "record";
  const fail = (reason: string): TrackResult => ({ status: "failed", stage, reason, uploadedBytes });
  // A provider that answered with bytes or a CID we did not compute fails the track; any other failure of
  // a provider the track needs leaves it pending for a later run.
  const setback = (
    outcome: StoreOutcome,
    what: string,
    needed: StoreOutcome["failures"],
  ): TrackResult | undefined => {
    const reasons = outcome.failures.map((f) => f.reason).join("; ");
    if (hasIntegrityFailure(outcome)) return fail(reasons);
    if (needed.length === 0) return undefined;
    return { status: "pending", reason: `${what}: ${reasons}`, uploadedBytes };
  };
  try {
    const known = ctx.journal.track(sha256);
    if (
      known?.file !== track.file ||
      known.nameBytes !== track.nameBytes ||
      known.modifiedMs !== track.modifiedMs ||
      known.ino !== track.ino
    ) {
      await ctx.journal.append({
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
    const audioTargets = ctx.storage.providersFor("audio", ctx.policy.includeIpfsBackup);
    const audio = await storeObject(
      ctx.journal,
      sha256,
      audioTargets,
      {
        kind: "audio",
        source: { path: track.path },
        address: track.content,
        mimeType: track.mimeType,
        extension: track.extension,
        meta: descriptiveMeta(track),
        signal: ctx.signal,
        onSent: ctx.sent,
      },
      ctx.uploadLimit,
    );
    uploadedBytes += audio.uploadedBytes;
    reportDegraded(ctx, track.file, "audio", audio);
    const audioSetback = setback(
      audio,
      "audio",
      audio.failures.filter((f) => ctx.policy.require.includes(f.target.role)),
    );
    if (audioSetback) return audioSetback;

    stage = "upload artwork";
    let artwork: StoreOutcome | undefined;
    const artworkTargets = ctx.storage.providersFor("artwork", ctx.policy.includeIpfsBackup);
    if (track.artwork !== undefined) {
      const art = track.artwork;
      if (ctx.journal.track(sha256)?.artwork?.sha256 !== art.content.sha256) {
        await ctx.journal.append({
          type: "artwork",
          sha256,
          artwork: {
            sha256: art.content.sha256,
            cid: art.content.cid,
            size: art.content.size,
            mimeType: art.mimeType,
            source: art.source,
          },
        });
      }
      artwork = await storeObject(
        ctx.journal,
        sha256,
        artworkTargets,
        {
          kind: "artwork",
          source: { path: art.path },
          address: art.content,
          mimeType: art.mimeType,
          extension: art.extension,
          signal: ctx.signal,
          onSent: ctx.sent,
        },
        ctx.uploadLimit,
      );
      uploadedBytes += artwork.uploadedBytes;
      const artworkSetback = setback(artwork, "artwork", artwork.failures);
      if (artworkSetback) return artworkSetback;
    }

    stage = "build metadata";
    const storjObject = audio.stored.find((o) => o.provider === ctx.storage.storj.name);
    const metadata = await buildMetadata(
      ctx.journal,
      track,
      {
        audioCid: track.content.cid,
        artworkCid: track.artwork?.content.cid,
        storj:
          storjObject && !ctx.storage.embeddedS3
            ? { bucket: ctx.storage.storj.bucket, key: storjObject.locator }
            : undefined,
      },
      ctx.workDir,
    );

    stage = "pin metadata";
    const metadataTargets = ctx.storage.providersFor("metadata", ctx.policy.includeIpfsBackup);
    const pinned = await storeObject(
      ctx.journal,
      sha256,
      metadataTargets,
      {
        kind: "metadata",
        source: { bytes: metadata.bytes },
        address: metadata.address,
        mimeType: "application/json",
        extension: ".json",
        signal: ctx.signal,
      },
      ctx.pinLimit,
    );
    const pinSetback = setback(pinned, "metadata", pinned.failures);
    if (pinSetback) return pinSetback;

    stage = "verify";
    if (ctx.journal.track(sha256)?.verifiedMetadataCid !== metadata.cid) {
      const objects = [
        ...pairs(audio, track.content.cid, sha256).filter((p) => ctx.policy.require.includes(p.target.role)),
        ...(artwork && track.artwork
          ? pairs(artwork, track.artwork.content.cid, track.artwork.content.sha256)
          : []),
        ...pairs(pinned, metadata.cid, metadata.address.sha256),
      ];
      await verifyTrack(ctx.journal, { sha256, file: track.file, objects, metadata }, ctx.signal);
    }
    return { status: "ready", metadataCid: metadata.cid, uploadedBytes };
  } catch (error) {
    if (error instanceof AbortedError || ctx.signal?.aborted) throw new AbortedError();
    const reason = describeError(error);
    await ctx.journal.append({ type: "failed", sha256, stage, error: reason });
    return fail(reason);
  }
}

/** The x-amz-meta-* an object carries besides its hashes, so a bucket listing is readable by a person. */
function descriptiveMeta(track: ScannedTrack): Record<string, string> {
  const meta: Record<string, string> = { title: track.tags.title, artist: track.tags.artist };
  if (track.tags.album !== undefined) meta.album = track.tags.album;
  return meta;
}

function hasIntegrityFailure(outcome: StoreOutcome): boolean {
  return outcome.failures.some((f) => f.error instanceof IntegrityError);
}

function reportDegraded(ctx: Context, file: string, kind: string, outcome: StoreOutcome): void {
  for (const failure of outcome.failures) {
    ctx.note(
      `  ! ${file}: ${kind} not stored on ${failure.target.provider.name} (${failure.target.role}): ${failure.reason}`,
    );
  }
}

function pairs(outcome: StoreOutcome, expectedCid: string, expectedSha256: string) {
  return outcome.stored.map((object) => {
    const target = outcome.targets.find((t) => t.provider.name === object.provider)!;
    return { target, object, expectedCid, expectedSha256 };
  });
}
