// Longer than 300 lines because it is the one runner: it wires the scan, each track's stages, the minter and
// the report together, with the rules a run applies between them (public networks, missing copies, disk space).
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { networkExposure } from "../chain/network-exposure.js";
import type { TracksChain } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import type { ContentAddress } from "../content/types.js";
import { AbortedError } from "../errors.js";
import { type Ledger, openLedger, type TrackState } from "../ledger/ledger.js";
import { deploymentKey, type RecordOf } from "../ledger/records.js";
import type { LibraryFile, LibraryFiles } from "../library/library-files.js";
import type { Problem } from "../library/problems.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import type { RunEvents } from "../report/events.js";
import { formatBytes } from "../report/format.js";
import { createProgress } from "../report/progress.js";
import { type RunSummary, summaryLines } from "../report/report.js";
import { type ScanSummary, type SettledCheck, scanLibrary } from "../scan/scan-library.js";
import { type MintRecords, type MintRight, MintStage, soleMinter } from "../stages/mint.js";
import { previewSettings } from "../stages/preview.js";
import { assertRoutable } from "../storage/routing.js";
import type { StorageSet } from "../storage/storage-set.js";
import { nameKey } from "../util/file-name.js";
import { assertWorkerSetup, LOCAL_LIBRARY, libraryIsShared } from "../workers/requirements.js";
import { mintLeaseName, WorkerLeases } from "../workers/worker-leases.js";
import { Slots, WorkGroup } from "./bounded-work.js";
import { writeRunReport } from "./build-report.js";
import { type ChainSetup, resolveTracksChain } from "./deployment.js";
import { checkLocalDisk, DISK_SHORT_FIX, embeddedCopies } from "./local-disk.js";
import {
  alreadyMinted,
  copiesMissing,
  runTrack,
  type TrackMint,
  type TrackStepContext,
} from "./run-track.js";
import { awaitSharedDeployment } from "./shared-deployment.js";

/** Finished tracks' report lines waiting for one group commit; a re-run goes at the pace of those commits. */
const SETTLED_RECORDS_IN_FLIGHT = 512;

export interface RunOptions {
  config: PipelineConfig;
  storage: StorageSet;
  /** Omitted: store and verify only (`dcmx upload`, `uploadMusicLibrary`). */
  chain?: ChainSetup;
  /** Where the run tells what happens (subscribe to it); a terminal renderer (`createProgress`) when omitted. */
  progress?: RunEvents;
  signal?: AbortSignal;
  /**
   * The ledger, when the caller opened it before starting storage (so a second process on the work
   * directory is refused before it starts anything); the caller then closes it. Opened and closed here otherwise.
   */
  ledger?: Ledger;
}

export interface RunResult {
  /** The report without its per-track rows, which are in the file at `reportPath` (`readReport`). */
  summary: RunSummary;
  reportPath: string;
}

/**
 * The pipeline: scan → hash & CID → store audio (S3 primary + IPFS backup) → artwork → metadata → pin →
 * verify → mint → report. Tracks flow through the stages independently (uploads bounded by
 * MAX_CONCURRENT_UPLOADS) while a single minter sends batches as tracks become ready. The scan runs only
 * as far ahead as the tracks in flight allow, each track's outcome goes to the ledger, and the report is
 * written from there: memory follows the concurrency, not the library's size.
 */
export async function runPipeline(options: RunOptions): Promise<RunResult> {
  const { config, storage, signal } = options;
  const events = options.progress ?? createProgress();
  const notice = (message: string) => events.emit({ type: "notice", message });
  const warn = (message: string) => events.emit({ type: "warning", message });
  const startedAt = new Date();
  assertRoutable(storage.policy(config));
  const ledger = options.ledger ?? (await openLedger(config));
  const record = ledger.record.bind(ledger);
  const run = runKey(config);
  let leases: WorkerLeases | undefined;
  try {
    // One of several workers (DCMX_WORKER): each library file is claimed before it is read, and whichever
    // worker holds the signer's lease mints what any of them made ready.
    if (config.worker) {
      assertWorkerSetup({
        ledger: ledger.kind,
        embeddedS3: storage.embeddedS3,
        remoteBackups: storage.remotes.length,
        includeIpfsBackup: config.includeIpfsBackup,
        inProcessChain: options.chain?.ephemeral,
      });
      leases = new WorkerLeases(ledger.leases, { workDir: config.workDir, ttlMs: config.workerLeaseMs });
      leases.start();
      if (!(await libraryIsShared(config.library)))
        warn(`${config.library} is on a local disk: ${LOCAL_LIBRARY}.`);
    }
    await record({ type: "run-started", run });
    for (const unused of storage.unusedBackends)
      events.emit({
        type: "warning",
        provider: unused.provider,
        message: `${unused.provider}: ${unused.reason}`,
      });
    notice(`Scanning ${config.library} ...`);
    // What the minter's callbacks need of the tracks waiting to be minted, and nothing more.
    const waiting = new Map<string, { file: string; size: number; outcome: RecordOf<"outcome"> }>();
    const reported = new Set<Problem>();
    const refused = new Set<string>();
    const uploadLimit = pLimit(config.maxConcurrentUploads);
    const pinLimit = pLimit(config.maxConcurrentUploads);
    // Tracks in flight at once (hashing included); the scan waits for a place before it reads a file.
    const inFlight = new Slots(config.maxConcurrentUploads * 2);
    const settledRecords = new Slots(SETTLED_RECORDS_IN_FLIGHT);
    const work = new WorkGroup();
    let uploadedBytes = 0;
    let previewsEncoded = 0;
    const preview = previewSettings(config, () => previewsEncoded++);
    // The collection is deployed (or found) when the first track is ready, not for an empty library,
    // and its minter starts then; tracks ask for it before their first chain question.
    let minting: Promise<Minting | undefined> | undefined;
    let diskChecked: Promise<void> | undefined;
    const startChain = () => {
      const setup = options.chain;
      minting ??=
        setup === undefined
          ? Promise.resolve(undefined)
          : (async () => {
              const right =
                leases === undefined
                  ? soleMinter()
                  : leases.mintRight(
                      mintLeaseName(
                        await setup.publicClient.getChainId(),
                        setup.walletClient.account.address,
                      ),
                    );
              if (leases !== undefined && config.contract === undefined)
                await awaitSharedDeployment(setup, ledger, right, leases.pollMs, signal);
              const chain = await resolveTracksChain(setup, ledger, config.contract, notice);
              return {
                chain,
                key: deploymentKey(chain.deployment),
                publicNetwork: remoteCopiesRequired(setup, chain, config, warn),
                ...(await startMinting(
                  chain,
                  { ledger, record },
                  config,
                  events,
                  waiting,
                  right,
                  leases?.pollMs,
                  signal,
                )),
              };
            })();
      return minting;
    };

    // A track an earlier run finished: nothing to read, send or mint, only its line in this run's report.
    // Any other track's state goes on to its step, which reads it no more.
    const settled = async (content: ContentAddress): Promise<SettledCheck<TrackState | undefined>> => {
      const mint = await startChain();
      const state = await ledger.track(content.sha256);
      const finished =
        mint !== undefined &&
        state !== undefined &&
        !state.failure &&
        state.minted.has(mint.key) &&
        !copiesMissing(storage, config, state, state.stored);
      return finished ? { settled: true } : { settled: false, known: state };
    };
    const steps: TrackStepContext = {
      run,
      config,
      record,
      storage,
      uploadLimit,
      pinLimit,
      preview,
      signal,
      events,
      workers: leases !== undefined,
    };
    const handle = async (
      track: ScannedTrack,
      order: number,
      state: TrackState | undefined,
    ): Promise<void> => {
      if (signal?.aborted) return;
      // Awaited before the sum is read: `total += await …` reads the total first, and tracks finishing
      // meanwhile would be lost from it.
      const step = await runTrack(steps, track, order, state, await startChain());
      uploadedBytes += step.uploadedBytes;
    };

    // Every track handed over finishes its current write, and the minter stops, before this returns or
    // throws (on Ctrl-C too), so nothing writes to the ledger after it is closed.
    const settle = async () => {
      await work.settled();
      await diskChecked;
      // A chain that could not be set up failed every track's work with its error, which is thrown below.
      const mint = await minting?.catch(() => undefined);
      mint?.stage.close();
      return { mint, mintError: await mint?.running };
    };
    // A worker takes a file only while no other live worker has it: the claim lasts until the track is
    // queued for its mint (or fails), and dies with the worker when it stops renewing it. A later pass
    // looks only at the files it left to others.
    let pass = 1;
    let elsewhere = 0;
    const admit = async (file: LibraryFile) => {
      const release = await inFlight.take();
      const workers = leases;
      if (workers === undefined) return release;
      if (pass > 1 && (await ledger.hasOutcome(run, file.relativePath))) {
        release();
        return undefined;
      }
      const item = nameKey({ file: file.relativePath, nameBytes: file.name.bytes });
      if (!(await workers.claim(item))) {
        elsewhere++;
        release();
        return undefined;
      }
      return () => {
        release();
        work.add(workers.release(item));
      };
    };
    let scan: ScanSummary;
    try {
      // A worker walks the library again while files it met were with other workers: by then they are done,
      // or free again because their worker died.
      for (; ; pass++) {
        elsewhere = 0;
        scan = await scanLibrary(config.library, {
          metadataFile: config.metadataFile,
          artworkDir: config.artworkDir,
          extractDir: join(config.workDir, "artwork"),
          profile: config.cidProfile,
          knownAddress: (file) => ledger.knownAddress(file),
          settled,
          signal,
          admit,
          onAudioFiles: (files) => {
            if (pass > 1) return;
            events.emit({ type: "started", total: files.length });
            // Reading free space cannot fail the run: without it there is only no warning.
            diskChecked = diskWarnings(files, ledger, storage, config).then(
              (lines) => {
                for (const line of lines) warn(line);
              },
              () => undefined,
            );
          },
          onAudioFile: (outcome) => {
            if (outcome.kind === "rejected") {
              // A worker's later pass meets the files it refused again: each is reported (and counted) once.
              if (leases !== undefined) {
                if (refused.has(outcome.file)) return;
                refused.add(outcome.file);
              }
              reported.add(outcome.problem);
              if (outcome.duplicateOf !== undefined) {
                work.add(
                  record({
                    type: "outcome",
                    run,
                    order: outcome.order,
                    file: outcome.file,
                    sha256: outcome.duplicateOf.sha256,
                    status: "duplicate",
                    degraded: [],
                    duplicateOf: outcome.duplicateOf.file,
                  }),
                );
              }
              const { code, field, message } = outcome.problem;
              if (outcome.problem.severity === "skipped")
                events.emit({ type: "skipped", file: outcome.file, reason: message, code });
              else
                events.emit({
                  type: "failed",
                  file: outcome.file,
                  stage: "scan",
                  error: message,
                  code,
                  field,
                });
              return;
            }
            if (outcome.kind === "settled") {
              // A finished track holds nothing but its report line: it gives its place back at once, and
              // only its record waits, among many, for the commit. Held until then, the places would pace a
              // re-run at one commit per place.
              work.add(
                settledRecords.take().then(async (recorded) => {
                  outcome.release();
                  await alreadyMinted(steps, outcome, outcome.order).finally(recorded);
                }),
              );
              return;
            }
            events.emit({ type: "scanned", file: outcome.track.file, bytes: outcome.track.content.size });
            for (const problem of outcome.warnings) events.emit({ type: "problem", problem });
            work.add(handle(outcome.track, outcome.order, outcome.known).finally(outcome.release));
          },
        });
        if (elsewhere === 0 || signal?.aborted) break;
        // This worker's own tracks finish first: its claims are its own, and a track must not run twice.
        await work.settled();
        notice(`  ${elsewhere} file(s) were with other workers: looking at them again.`);
        await sleep(leases!.pollMs, undefined, { signal }).catch(() => undefined);
      }
    } catch (error) {
      await settle();
      throw error;
    }
    for (const problem of scan.problems) {
      if (!reported.has(problem)) events.emit({ type: "problem", problem });
    }
    const { mint, mintError } = await settle();
    const chain = mint?.chain;
    if (signal?.aborted) throw new AbortedError();
    if (work.error !== undefined) throw work.error;
    if (mintError !== undefined) throw mintError;
    events.emit({ type: "finished" });

    const summary = await writeRunReport({
      path: config.reportPath,
      run,
      scan,
      ledger,
      storage,
      chain,
      startedAt,
      uploadedBytes,
      previewsEncoded,
      mintTransactions: mint?.stage.transactions ?? 0,
    });
    const totals = summary.totals;
    if (uploadedBytes === 0 && totals.mintTransactions === 0 && totals.failed === 0 && totals.pending === 0) {
      notice(
        "\nNothing to do: every track is already stored and minted; no upload and no transaction was made.",
      );
    }
    for (const line of summaryLines(summary, config.reportPath)) notice(line);
    return { summary, reportPath: config.reportPath };
  } finally {
    events.emit({ type: "finished" });
    leases?.stop();
    if (options.ledger === undefined) await ledger.close();
  }
}

/** A work directory's runs share one key: each run replaces the outcomes the previous one left. */
export function runKey(config: PipelineConfig): string {
  return `${hostname()}:${config.workDir}`;
}

interface Minting {
  chain: TracksChain;
  /** The deployment's key in the ledger's minted records. */
  key: string;
  /** The network's name when tracks must be on a remote backend before they are minted there. */
  publicNetwork?: string;
  stage: MintStage;
  running: Promise<unknown>;
  queue: TrackMint["queue"];
}

/**
 * On a public network (`networkExposure`), a token must point at content strangers can fetch: tracks wait
 * for a remote IPFS copy, unless DCMX_ALLOW_LOCAL_ONLY says to mint anyway (said once, at the start).
 */
function remoteCopiesRequired(
  setup: ChainSetup,
  chain: TracksChain,
  config: PipelineConfig,
  warn: (message: string) => void,
): string | undefined {
  const exposure = networkExposure({
    inProcess: setup.ephemeral,
    chainId: chain.deployment.chainId,
    rpcUrl: setup.rpcUrl,
  });
  if (exposure === "local") return undefined;
  if (!config.allowLocalOnly) return setup.network;
  warn(
    `DCMX_ALLOW_LOCAL_ONLY is set: minting on ${setup.network} even where no remote IPFS backend holds a track.`,
  );
  return undefined;
}

async function startMinting(
  chain: TracksChain,
  records: MintRecords,
  config: PipelineConfig,
  events: RunEvents,
  waiting: Map<string, { file: string; size: number; outcome: RecordOf<"outcome"> }>,
  right: MintRight,
  pollMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<Pick<Minting, "stage" | "running" | "queue">> {
  const recipient = config.recipient ?? (await chain.defaultRecipient());
  const stage = new MintStage(
    records,
    chain,
    { batchSize: config.mintBatchSize, recipient, signal, pollMs },
    {
      minted: (token, alreadyOnChain) => {
        const track = waiting.get(token.sha256);
        waiting.delete(token.sha256);
        if (track)
          events.emit({
            type: "minted",
            file: track.file,
            bytes: track.size,
            tokenId: token.tokenId.toString(),
            alreadyOnChain,
          });
      },
      failed: async (sha256, error) => {
        const track = waiting.get(sha256);
        waiting.delete(sha256);
        if (track) await records.record({ ...track.outcome, status: "failed", error: `mint: ${error}` });
        // Another worker's track: its own worker reports it.
        if (track) events.emit({ type: "failed", file: track.file, stage: "mint", error });
      },
    },
    right,
  );
  // Settled into a value at once, so a cancelled minter is never an unhandled rejection while tracks finish.
  const running: Promise<unknown> = stage.run().then(
    () => undefined,
    (error: unknown) => error,
  );
  const queue: TrackMint["queue"] = async (track, outcome, metadataCid) => {
    const sha256 = track.content.sha256;
    waiting.set(sha256, { file: track.file, size: track.content.size, outcome });
    await Promise.all([
      records.record(outcome),
      records.record({ type: "mint-ready", deployment: chain.deployment, sha256, metadataCid }),
    ]);
    events.emit({ type: "ready", file: track.file });
    stage.queued(sha256);
  };
  return { stage, running, queue };
}

/**
 * The disk warnings for the library's audio. The whole library is measured first: when every disk has room
 * for all of it (the usual case, and every re-run of a finished catalog), the files stored before do not
 * matter, and a lookup per file in the ledger is spared.
 */
async function diskWarnings(
  files: LibraryFiles,
  ledger: Ledger,
  storage: StorageSet,
  config: PipelineConfig,
): Promise<string[]> {
  const whole = await diskShortages(storage, config, files.totalSize());
  return whole.length === 0
    ? whole
    : diskShortages(storage, config, await unstoredAudioBytes(files, ledger, config));
}

/** Audio bytes of the files this work directory has not stored before: what the embedded stores will add. */
async function unstoredAudioBytes(
  files: LibraryFiles,
  ledger: Ledger,
  config: PipelineConfig,
): Promise<number> {
  let bytes = 0;
  for (const file of files) {
    const { relativePath, name, size, mtimeMs, ino } = file;
    const identity = {
      file: relativePath,
      nameBytes: name.bytes,
      size,
      mtimeMs,
      ino,
      profile: config.cidProfile,
    };
    if (!(await ledger.audioStored(identity))) bytes += size;
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
        `local disk at ${disk.directory}: ${formatBytes(disk.freeBytes)} free, but the embedded copies of the audio not stored yet need up to ${formatBytes(disk.neededBytes)}: tracks that do not fit wait for a re-run. To avoid that: ${DISK_SHORT_FIX}`,
    );
}
