import type { PipelineConfig } from "../../config/pipeline-config.js";
import { describeError } from "../../errors.js";
import { localLibraryNote, type WorkerReadiness, workerReadiness } from "../../workers/readiness.js";
import type { Finding } from "./finding.js";

const CONFIGURED = {
  alone: "not configured (DCMX_WORKER, DCMX_WORKERS): what several workers sharing this catalog would need",
  worker: "this machine runs one of several workers (DCMX_WORKER): each needs what follows",
  local: "workers on this machine (DCMX_WORKERS): each needs what follows",
} as const;

/**
 * The workers section: every rule a worker enforces at start (`requirements.ts`), met or not, and whether
 * other machines can read the library. Unmet rules fail only when workers are configured; a run alone is
 * told what sharing would take. `inProcessChain` is undefined when no RPC was given (the chain is unknown).
 */
export async function checkWorkers(
  env: Record<string, string | undefined>,
  config: PipelineConfig,
  inProcessChain: boolean | undefined,
): Promise<Finding[]> {
  let readiness: WorkerReadiness;
  try {
    readiness = await workerReadiness(env, config, inProcessChain);
  } catch (error) {
    // A malformed provider variable is reported by its provider's check.
    return [{ check: "workers", status: "info", message: `not checked: ${describeError(error)}` }];
  }
  const { mode } = readiness;
  const findings: Finding[] = [{ check: "workers", status: "info", message: CONFIGURED[mode] }];
  for (const r of readiness.requirements) {
    const check = `workers (${r.field})`;
    if (r.met === true) findings.push({ check, status: "ok", message: r.need });
    else if (r.met === undefined)
      findings.push({
        check,
        status: "info",
        message: `${r.need}: not checked (pass --rpc to check the chain)`,
      });
    else
      findings.push({
        check,
        status: mode === "alone" ? "info" : "fail",
        message: `${r.need}: ${r.problem}`,
        fix: r.hint,
      });
  }
  if (readiness.libraryShared !== undefined) {
    const check = "workers (library)";
    findings.push(
      readiness.libraryShared
        ? { check, status: "ok", message: "the library is on a file system other machines can mount" }
        : {
            check,
            status: mode === "worker" ? "warn" : "info",
            message: localLibraryNote(mode),
          },
    );
  }
  return findings;
}
