import { extname, resolve } from "node:path";
import {
  type AuditReport,
  type Check,
  countStatuses,
  FAILING,
  type TokenAudit,
} from "../../audit/audit-report.js";
import { audioLocator, audioObject } from "../../audit/check-audio.js";
import { checkMetadata } from "../../audit/check-metadata.js";
import { metadataRecord } from "../../audit/metadata-source.js";
import { acceptCid } from "../../content/accepted-cid.js";
import { AbortedError, describeError } from "../../errors.js";
import type { Ledger } from "../../ledger/ledger.js";
import type { TrackMetadata } from "../../metadata/track-metadata.js";
import type { PutRequest, StorageProvider } from "../../providers/types.js";
import type { RunEvents } from "../../report/events.js";
import { metadataPath } from "../../stages/metadata.js";
import { addressedBy } from "../../storage/routing.js";
import { type CopyCandidate, findVerifiedCopy, type WantedObject } from "../../storage/verified-copy.js";
import { auditToken, type TokenAuditContext } from "./audit-collection.js";

export interface RepairContext extends TokenAuditContext {
  /** IPFS providers that should hold every metadata document. */
  metadataHolders: StorageProvider[];
  /** Finds the library file of a track and records each re-upload, as the pipeline records its own. */
  ledger: Ledger;
  library: string;
  workDir: string;
  scratchDir: string;
  progress: RunEvents;
}

/** One re-upload: the check it answers, where the copy came from, and why it failed if it did. */
interface Attempt {
  target: string;
  was: Check["status"];
  from: string | null;
  error?: string;
}

export interface RepairSummary {
  /** Failing checks acted on. */
  attempted: number;
  /** Of those, how many are ok on the re-check. */
  repaired: number;
  /** Objects re-uploaded per source (`local` or a provider). */
  sources: Record<string, number>;
}

/**
 * `dcmx verify --repair`: for every token with a missing or corrupt check, re-uploads the object from a
 * verified copy (the same search `dcmx migrate` uses) to the provider that lost it, then audits the token
 * again. The report keeps the re-check's verdict, with each check acted on saying what it was and where
 * its copy came from.
 */
export async function repairReport(
  report: AuditReport,
  ctx: RepairContext,
): Promise<{ report: AuditReport; summary: RepairSummary }> {
  const failing = report.tokens.filter((t) => t.checks.some((c) => FAILING.has(c.status)));
  const summary: RepairSummary = { attempted: 0, repaired: 0, sources: {} };
  const total = failing.reduce((n, t) => n + t.checks.filter((c) => FAILING.has(c.status)).length, 0);
  ctx.progress.emit({ type: "started", total });
  const repaired = new Map<string, TokenAudit>();
  for (const token of failing) repaired.set(token.tokenId, await repairToken(token, ctx, summary));
  const tokens = report.tokens.map((t) => repaired.get(t.tokenId) ?? t);
  return { report: { ...report, tokens, totals: countStatuses(tokens) }, summary };
}

async function repairToken(
  token: TokenAudit,
  ctx: RepairContext,
  summary: RepairSummary,
): Promise<TokenAudit> {
  const attempts: Attempt[] = [];
  const [metadataCheck, ...audioChecks] = token.checks;
  const onChain = {
    tokenId: BigInt(token.tokenId),
    contentHash: token.contentHash,
    tokenURI: token.tokenURI,
  };
  if (metadataCheck !== undefined && FAILING.has(metadataCheck.status) && metadataCheck.locator !== null) {
    attempts.push(
      await attempt(ctx, summary, metadataCheck, `#${token.tokenId} metadata`, () =>
        repairMetadata(ctx, metadataCheck.locator!, token.contentHash),
      ),
    );
  }
  const failingAudio = audioChecks.filter((c) => FAILING.has(c.status));
  if (failingAudio.length > 0) {
    const { metadata } = await checkMetadata(onChain, ctx.sources, ctx.signal);
    for (const check of failingAudio) {
      attempts.push(
        await attempt(ctx, summary, check, `#${token.tokenId} audio on ${check.target}`, () =>
          metadata === undefined
            ? Promise.reject(new Error("the token's metadata cannot be read, so its audio cannot be found"))
            : repairAudio(ctx, check, metadata, token.contentHash),
        ),
      );
    }
  }
  const after = await auditToken(ctx, onChain.tokenId);
  for (const check of after.checks) {
    const done = attempts.find((a) => a.target === check.target);
    if (done === undefined) continue;
    check.repair = {
      was: done.was,
      from: done.from,
      ...(done.error === undefined ? {} : { error: done.error }),
    };
    if (check.status === "ok") summary.repaired++;
  }
  return after;
}

/** Runs one repair and turns its outcome into an attempt, a progress line and the summary's counts. */
async function attempt(
  ctx: RepairContext,
  summary: RepairSummary,
  check: Check,
  label: string,
  run: () => Promise<{ from: string; size: number; sent: boolean }>,
): Promise<Attempt> {
  summary.attempted++;
  try {
    const { from, size, sent } = await run();
    ctx.progress.emit({ type: "done", file: label, bytes: size, outcome: sent ? "copied" : "already there" });
    if (!sent) {
      // A provider that says it holds the object takes no new copy: the re-check tells whether it serves it.
      const error = `${check.target} reports that it holds the object, so nothing was sent`;
      return { target: check.target, was: check.status, from, error };
    }
    summary.sources[from] = (summary.sources[from] ?? 0) + 1;
    return { target: check.target, was: check.status, from };
  } catch (error) {
    if (ctx.signal?.aborted) throw new AbortedError();
    const reason = describeError(error);
    ctx.progress.emit({ type: "failed", file: label, stage: "repair", error: reason });
    return { target: check.target, was: check.status, from: null, error: reason };
  }
}

/** The document the tokenURI names, from a verified copy, onto every IPFS provider that lacks it. */
async function repairMetadata(ctx: RepairContext, cid: string, trackSha256: string) {
  return sendCopy(
    ctx,
    { cid },
    metadataPath(ctx.workDir, cid),
    ctx.metadataHolders.map((provider) => ({ provider, object: metadataRecord(provider, cid) })),
    ctx.metadataHolders,
    trackSha256,
    (address) => ({
      kind: "metadata",
      address: { ...address, cid },
      mimeType: "application/json",
      extension: ".json",
    }),
  );
}

/** The token's audio, from a verified copy, onto the provider whose check failed. */
async function repairAudio(ctx: RepairContext, check: Check, metadata: TrackMetadata, contentHash: string) {
  const target = ctx.holders.find((h) => h.provider.name === check.target)!;
  const locator = audioLocator(target.role, metadata, contentHash);
  const want = audioObject(target.provider, locator, metadata, contentHash);
  const known = await ctx.ledger.track(contentHash);
  return sendCopy(
    ctx,
    want,
    known && resolve(ctx.library, known.file),
    ctx.holders
      .filter((h) => h !== target)
      .map(({ role, provider }) => ({
        provider,
        object: audioObject(provider, audioLocator(role, metadata, contentHash), metadata, contentHash),
      })),
    [target.provider],
    contentHash,
    (address) => ({
      kind: "audio",
      address: { ...address, profile: acceptCid(want.cid).profile },
      mimeType: metadata.mimeType,
      extension:
        addressedBy(target.role) === "key" ? extname(locator) : `.${metadata.properties.audio.format}`,
    }),
  );
}

/** Finds a verified copy, puts it on each target and records every put for the track that owns it. */
async function sendCopy(
  ctx: RepairContext,
  want: WantedObject,
  localPath: string | undefined,
  candidates: CopyCandidate[],
  targets: StorageProvider[],
  trackSha256: string,
  request: (address: PutRequest["address"]) => Omit<PutRequest, "source">,
): Promise<{ from: string; size: number; sent: boolean }> {
  const copy = await findVerifiedCopy({
    want,
    localPath,
    candidates,
    scratchDir: ctx.scratchDir,
    label: want.cid,
    signal: ctx.signal,
  });
  try {
    let sent = false;
    for (const provider of targets) {
      const stored = await provider.put({
        ...request(copy.address),
        source: copy.source,
        signal: ctx.signal,
      });
      sent ||= !stored.reused;
      await ctx.ledger.record({ type: "stored", sha256: trackSha256, object: stored });
    }
    return { from: copy.from, size: copy.address.size, sent };
  } finally {
    await copy.release();
  }
}
