import type { PipelineConfig } from "../config/pipeline-config.js";
import { loadIpfsConfig, remoteBackends } from "../providers/ipfs/config.js";
import { loadStorjConfig } from "../providers/s3/config.js";
import {
  LOCAL_LIBRARY,
  libraryIsShared,
  type WorkerRequirement,
  type WorkerSetup,
  workerRequirements,
} from "./requirements.js";

/** How a run is configured to share its catalog: alone, one of several workers, or N workers on this machine. */
export type WorkerMode = "alone" | "worker" | "local";

/** What the plan and doctor say about workers, before anything is opened: the run's own rules, read ahead. */
export interface WorkerReadiness {
  mode: WorkerMode;
  /** DCMX_WORKERS: the workers `mint-library` would start on this machine. */
  count: number;
  requirements: Array<WorkerRequirement & { met?: boolean }>;
  /** Whether other machines can mount the library; undefined when it cannot be read (said elsewhere). */
  libraryShared?: boolean;
}

export function workerMode(config: PipelineConfig): WorkerMode {
  if (config.worker) return "worker";
  return config.workers > 1 ? "local" : "alone";
}

/**
 * The setup a run would have, from the configuration alone: what `runPipeline` reads from its opened
 * ledger and storage, read from the variables that decide them. Throws as the providers' own loaders do
 * on a malformed variable.
 */
export function configuredWorkerSetup(
  env: Record<string, string | undefined>,
  config: PipelineConfig,
  inProcessChain: boolean | undefined,
): WorkerSetup {
  return {
    ledger: config.databaseUrl === undefined ? "sqlite" : "postgres",
    embeddedS3: loadStorjConfig(env) === undefined,
    remoteBackups: remoteBackends(loadIpfsConfig(env, config.workDir)).length,
    includeIpfsBackup: config.includeIpfsBackup,
    inProcessChain,
  };
}

export async function workerReadiness(
  env: Record<string, string | undefined>,
  config: PipelineConfig,
  inProcessChain: boolean | undefined,
): Promise<WorkerReadiness> {
  return {
    mode: workerMode(config),
    count: config.workers,
    requirements: workerRequirements(configuredWorkerSetup(env, config, inProcessChain)),
    libraryShared: await libraryIsShared(config.library).catch(() => undefined),
  };
}

/** What a local library means for the workers of `mode`: several machines cannot read it; one machine can. */
export function localLibraryNote(mode: WorkerMode): string {
  const where = mode === "worker" ? LOCAL_LIBRARY : `fine for workers on this machine, but ${LOCAL_LIBRARY}`;
  return `the library is on a local disk: ${where}`;
}

/** The plan's lines for a run configured as workers (none for a run alone). */
export function workerPlanLines(readiness: WorkerReadiness): string[] {
  if (readiness.mode === "alone") return [];
  const lines = [
    readiness.mode === "worker"
      ? "  Worker: one of several sharing the catalog (DCMX_WORKER); each needs:"
      : `  Workers: ${readiness.count} on this machine (DCMX_WORKERS), each needs:`,
  ];
  for (const r of readiness.requirements) {
    const mark = r.met === undefined ? "?" : r.met ? "✓" : "✗";
    const missing = r.met === false ? ` — ${r.field}: ${r.problem}; fix: ${r.hint}` : "";
    lines.push(`    ${mark} ${r.need}${missing}`);
  }
  if (readiness.libraryShared === false) lines.push(`    ! ${localLibraryNote(readiness.mode)}`);
  return lines;
}
