import { join } from "node:path";
import pLimit from "p-limit";
import { networkExposure } from "../chain/network-exposure.js";
import type { TracksChain } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import { AbortedError, ConfigError } from "../errors.js";
import { deploymentKey, Journal } from "../journal/journal.js";
import type { Problem } from "../library/problems.js";
import { type ScannedTrack, type ScanResult, scanLibrary } from "../library/scan.js";
import type { LibraryFile } from "../library/walk.js";
import { needsPreview } from "../preview/formats.js";
import type { ObjectKind, StoredObject } from "../providers/types.js";
import { formatBytes } from "../report/format.js";
import { createProgress, type Progress } from "../report/progress.js";
import { type RunReport, summaryLines, writeReport } from "../report/report.js";
import { MintStage } from "../stages/mint.js";
import { previewSettings } from "../stages/preview.js";
import type { StorageSet } from "../storage/storage-set.js";
import { buildReport } from "./build-report.js";
import { type ChainSetup, resolveTracksChain } from "./deployment.js";
import { checkLocalDisk, DISK_SHORT_FIX, embeddedCopies } from "./local-disk.js";
import { processTrack, type TrackResult } from "./process-track.js";

export interface RunOptions {
  config: PipelineConfig;
  storage: StorageSet;
  /** Omitted: store and verify only (`dcmx upload`, `uploadMusicLibrary`). */
  chain?: ChainSetup;
  progress?: Progress;
  signal?: AbortSignal;
  /**
   * The work directory's journal, when the caller opened it before starting storage (so a second process is
   * refused before it starts anything); the caller then closes it. Opened and closed here otherwise.
   */
  journal?: Journal;
}

export interface RunResult {
  report: RunReport;
  reportPath: string;
}

/**
 * The pipeline: scan → hash & CID → store audio (S3 primary + IPFS backup) → artwork → metadata → pin →
 * verify → mint → report. Tracks flow through the stages independently (uploads bounded by
 * MAX_CONCURRENT_UPLOADS) while a single minter sends batches as tracks become ready.
 */
export async function runPipeline(options: RunOptions): Promise<RunResult> {
  const { config, storage, signal } = options;
  const progress = options.progress ?? createProgress();
  const startedAt = new Date();
  if (!config.includeIpfsBackup && config.require.includes("ipfs")) {
    throw new ConfigError("POLICY", "the IPFS backup is off but tracks are required to be on IPFS", {
      field: "INCLUDE_IPFS_BACKUP",
      hint: "set DCMX_REQUIRE=storj to mint from Storj alone, or turn INCLUDE_IPFS_BACKUP back on",
    });
  }
  const journal = options.journal ?? (await Journal.open(config.workDir));
  try {
    for (const unused of storage.unusedBackends) progress.note(`  ! ${unused.provider}: ${unused.reason}`);
    progress.note(`Scanning ${config.library} ...`);
    const results = new Map<string, TrackResult>();
    const mintFailures = new Map<string, string>();
    const byHash = new Map<string, ScannedTrack>();
    const reported = new Set<Problem>();
    const uploadLimit = pLimit(config.maxConcurrentUploads);
    const pinLimit = pLimit(config.maxConcurrentUploads);
    // Tracks beyond the upload limit wait here rather than holding open files and half-built state.
    const trackLimit = pLimit(config.maxConcurrentUploads * 2);
    let uploadedBytes = 0;
    let previewsEncoded = 0;
    const preview = previewSettings(config, () => previewsEncoded++);
    // The collection is deployed (or found) when the first track is ready, not for an empty library,
    // and its minter starts then; tracks ask for it before their first chain question.
    let minting: Promise<Minting | undefined> | undefined;
    let diskChecked: Promise<void> | undefined;
    const startChain = () => {
      minting ??= options.chain
        ? resolveTracksChain(options.chain, journal, config.contract, (m) => progress.note(m)).then(
            async (chain) => ({
              chain,
              key: deploymentKey(chain.deployment),
              publicNetwork: remoteCopiesRequired(options.chain!, chain, config, (m) => progress.note(m)),
              ...(await startMinting(chain, journal, config, progress, byHash, mintFailures, signal)),
            }),
          )
        : Promise.resolve(undefined);
      return minting;
    };

    const handle = async (track: ScannedTrack): Promise<void> => {
      if (signal?.aborted) return;
      const mint = await startChain();
      const state = journal.track(track.content.sha256);
      // A minted track goes through the stages again only to retry the backups that failed before: every
      // stored copy is skipped (journal) and nothing is minted again.
      const minted = mint !== undefined && state?.minted.has(mint.key);
      if (minted && !copiesMissing(storage, config, track, state?.stored ?? [])) {
        progress.done(track.file, track.content.size, "already minted");
        return;
      }
      const result = await processTrack(
        {
          journal,
          storage,
          policy: { ...config, publicNetwork: minted ? undefined : mint?.publicNetwork },
          workDir: config.workDir,
          uploadLimit,
          pinLimit,
          preview,
          signal,
          note: (m) => progress.note(m),
          sent: (bytes) => progress.sent(bytes),
        },
        track,
      );
      results.set(track.content.sha256, result);
      uploadedBytes += result.uploadedBytes;
      if (result.status === "failed") progress.failed(track.file, `${result.stage}: ${result.reason}`);
      else if (result.status === "pending") progress.failed(track.file, `pending — ${result.reason}`);
      else if (minted) progress.done(track.file, track.content.size, "already minted");
      else if (mint) {
        progress.ready(track.file);
        mint.stage.add({ sha256: track.content.sha256, metadataCid: result.metadataCid });
      } else progress.done(track.file, track.content.size, "stored");
    };

    // Tracks go into the stages as the scan hands them over, while later files are still being hashed.
    const work: Promise<void>[] = [];
    // Every track handed over finishes its current write, and the minter stops, before this returns or
    // throws (allSettled: on Ctrl-C too), so nothing writes to the journal after it is closed.
    const settle = async () => {
      const outcomes = await Promise.allSettled(work);
      await diskChecked;
      // A chain that could not be set up failed every track's work with its error, which is thrown below.
      const mint = await minting?.catch(() => undefined);
      mint?.stage.close();
      return { outcomes, mint, mintError: await mint?.running };
    };
    let scan: ScanResult;
    try {
      scan = await scanLibrary(config.library, {
        metadataFile: config.metadataFile,
        artworkDir: config.artworkDir,
        extractDir: join(config.workDir, "artwork"),
        profile: config.cidProfile,
        knownAddress: (file) => journal.knownAddress(file),
        signal,
        onAudioFiles: (files) => {
          progress.start(files.length);
          // Reading free space cannot fail the run: without it there is only no warning.
          diskChecked = diskShortages(storage, config, unstoredAudioBytes(files, journal, config)).then(
            (lines) => {
              for (const line of lines) progress.note(line);
            },
            () => undefined,
          );
        },
        onAudioFile: (outcome) => {
          if (outcome.kind === "rejected") {
            reported.add(outcome.problem);
            if (outcome.problem.severity === "skipped")
              progress.skipped(outcome.file, outcome.problem.message);
            else progress.failed(outcome.file, outcome.problem.message);
            return;
          }
          for (const warning of outcome.warnings) {
            reported.add(warning);
            progress.note(`  ! ${warning.message}`);
          }
          byHash.set(outcome.track.content.sha256, outcome.track);
          const running = trackLimit(() => handle(outcome.track));
          running.catch(() => {});
          work.push(running);
        },
      });
    } catch (error) {
      await settle();
      throw error;
    }
    for (const problem of scan.problems) {
      if (!reported.has(problem))
        progress.note(`  ${problem.severity === "warning" ? "!" : "✗"} ${problem.message}`);
    }
    const { outcomes, mint, mintError } = await settle();
    const chain = mint?.chain;
    if (signal?.aborted) throw new AbortedError();
    for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
    if (mintError !== undefined) throw mintError;
    progress.stop();

    const report = buildReport({
      scan,
      journal,
      storage,
      chain,
      results,
      mintFailures,
      startedAt,
      uploadedBytes,
      previewsEncoded,
      mintTransactions: mint?.stage.transactions ?? 0,
    });
    await writeReport(config.reportPath, report);
    if (
      uploadedBytes === 0 &&
      report.totals.mintTransactions === 0 &&
      report.totals.failed === 0 &&
      report.totals.pending === 0
    ) {
      progress.note(
        "\nNothing to do: every track is already stored and minted; no upload and no transaction was made.",
      );
    }
    for (const line of summaryLines(report, config.reportPath)) progress.note(line);
    return { report, reportPath: config.reportPath };
  } finally {
    progress.stop();
    if (options.journal === undefined) await journal.close();
  }
}

interface Minting {
  chain: TracksChain;
  /** The deployment's key in the journal's minted records. */
  key: string;
  /** The network's name when tracks must be on a remote backend before they are minted there. */
  publicNetwork?: string;
  stage: MintStage;
  running: Promise<unknown>;
}

/**
 * On a public network (`networkExposure`), a token must point at content strangers can fetch: tracks wait
 * for a remote IPFS copy, unless DCMX_ALLOW_LOCAL_ONLY says to mint anyway (said once, at the start).
 */
function remoteCopiesRequired(
  setup: ChainSetup,
  chain: TracksChain,
  config: PipelineConfig,
  note: (message: string) => void,
): string | undefined {
  const exposure = networkExposure({
    inProcess: setup.ephemeral,
    chainId: chain.deployment.chainId,
    rpcUrl: setup.rpcUrl,
  });
  if (exposure === "local") return undefined;
  if (!config.allowLocalOnly) return setup.network;
  note(
    `  ! DCMX_ALLOW_LOCAL_ONLY is set: minting on ${setup.network} even where no remote IPFS backend holds a track.`,
  );
  return undefined;
}

/** Whether a provider the routing policy names has no record of one of the track's objects yet. */
function copiesMissing(
  storage: StorageSet,
  config: PipelineConfig,
  track: ScannedTrack,
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

async function startMinting(
  chain: TracksChain,
  journal: Journal,
  config: PipelineConfig,
  progress: Progress,
  byHash: Map<string, { file: string; content: { size: number } }>,
  mintFailures: Map<string, string>,
  signal: AbortSignal | undefined,
): Promise<Pick<Minting, "stage" | "running">> {
  const recipient = config.recipient ?? (await chain.defaultRecipient());
  const stage = new MintStage(
    journal,
    chain,
    { batchSize: config.mintBatchSize, recipient, signal },
    {
      minted: (token, alreadyOnChain) => {
        const track = byHash.get(token.sha256);
        if (track)
          progress.done(track.file, track.content.size, alreadyOnChain ? "already minted" : "minted");
      },
      failed: (sha256, reason) => {
        mintFailures.set(sha256, reason);
        const track = byHash.get(sha256);
        progress.failed(track?.file ?? sha256, reason);
      },
    },
  );
  await stage.settlePending();
  // Settled into a value at once, so a cancelled minter is never an unhandled rejection while tracks finish.
  const running: Promise<unknown> = stage.run().then(
    () => undefined,
    (error: unknown) => error,
  );
  return { stage, running };
}

/** Audio bytes of the files this work directory has not stored before: what the embedded stores will add. */
function unstoredAudioBytes(files: LibraryFile[], journal: Journal, config: PipelineConfig): number {
  let bytes = 0;
  for (const file of files) {
    const known = journal.knownAddress({
      file: file.relativePath,
      nameBytes: file.name.bytes,
      size: file.size,
      mtimeMs: file.mtimeMs,
      ino: file.ino,
      profile: config.cidProfile,
    });
    const stored = known && journal.track(known.sha256)?.stored.some((object) => object.kind === "audio");
    if (!stored) bytes += file.size;
  }
  return bytes;
}

/**
 * A warning per disk that cannot take the embedded copies of the audio not stored yet (on embedded
 * defaults, twice the library): storing would stop partway, and the tracks left would wait for a re-run.
 */
async function diskShortages(
  storage: StorageSet,
  config: PipelineConfig,
  audioBytes: number,
): Promise<string[]> {
  const needs = embeddedCopies(storage.localDirectories, { audio: audioBytes }, config.includeIpfsBackup);
  const disks = await checkLocalDisk(needs.filter((need) => need.bytes > 0));
  return disks
    .filter((disk) => disk.freeBytes < disk.neededBytes)
    .map(
      (disk) =>
        `  ! local disk at ${disk.directory}: ${formatBytes(disk.freeBytes)} free, but the embedded copies of the audio not stored yet need up to ${formatBytes(disk.neededBytes)}: tracks that do not fit wait for a re-run. To avoid that: ${DISK_SHORT_FIX}`,
    );
}
