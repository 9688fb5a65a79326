import { loadPipelineConfig } from "./config/pipeline-config.js";
import { openLedger } from "./ledger/ledger.js";
import type { RunEvents } from "./report/events.js";
import { type RunReport, readReport } from "./report/report.js";
import { runPipeline } from "./run/run-pipeline.js";
import { StorageSet } from "./storage/storage-set.js";

export interface UploadMusicLibraryOptions {
  musicDir: string;
  artworkDir?: string;
  metadataFile?: string;
  maxConcurrent?: number;
  workDir?: string;
  env?: Record<string, string | undefined>;
  progress?: RunEvents;
  signal?: AbortSignal;
}

/**
 * The original design's `upload_music_library`: stores and verifies a whole library (no minting) and
 * returns the run report, whose `totals` are the summary (successful, failed, bytes, duration).
 */
export async function uploadMusicLibrary(options: UploadMusicLibraryOptions): Promise<RunReport> {
  const env = options.env ?? process.env;
  const config = loadPipelineConfig(env, {
    library: options.musicDir,
    artworkDir: options.artworkDir,
    metadataFile: options.metadataFile,
    maxConcurrentUploads: options.maxConcurrent,
    workDir: options.workDir,
  });
  const ledger = await openLedger(config);
  let storage: StorageSet | undefined;
  try {
    storage = await StorageSet.open({ env, workDir: config.workDir });
    const { progress, signal } = options;
    return await readReport((await runPipeline({ config, storage, ledger, progress, signal })).reportPath);
  } finally {
    await storage?.close();
    await ledger.close();
  }
}
