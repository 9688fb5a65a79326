import { isMainThread } from "node:worker_threads";
import { z } from "zod";
import { parseEnv } from "./env.js";
import { envInt } from "./env-values.js";

/**
 * The heap cap of a run (MB of V8's old generation). Without one, V8 sizes the heap from the machine's memory
 * (4 GB on a 24 GB machine) and lets garbage pile up between full collections: a catalog run grew ~30 KB a
 * track although what it keeps stays the same at any catalog size (docs/LABELS.md). What a run keeps after a
 * full collection is ~85–110 MB at 100k tracks (~70 MB of it loaded modules); 224 MB leaves it room to double,
 * and a cap below 256 MB keeps the scan's walk of a large library from growing the heap for garbage. Measured
 * on the 100k benchmark (docs/LABELS.md): peak of the whole tree 460 MB under 224 (488 MB in the first 150 s
 * under 256, still rising); 192 saved 8 MB more but its re-run of the finished catalog took 66 s instead of 51.
 * Audio is streamed, so track size does not count.
 */
export const DEFAULT_MAX_HEAP_MB = 224;
/**
 * glibc's malloc arenas for a run. By default each thread that allocates gets an arena of its own (up to 8 per
 * core), and a run has ~15 threads (libuv's pool, V8's, the ledger's writer, the hashing worker, EDR's): at
 * 100k tracks two arenas instead took ~50 MB off the run process and ~14 MB off the embedded S3 server, with no
 * measurable throughput change. Other C libraries ignore the variable; a value the user set wins.
 */
const MALLOC_ARENAS = "2";
/** Below this the pipeline's own modules and in-flight tracks do not fit. */
const MIN_HEAP_MB = 128;

const HeapEnvSchema = z.object({
  DCMX_MAX_HEAP_MB: envInt(DEFAULT_MAX_HEAP_MB, 0, 1_048_576).refine((mb) => mb === 0 || mb >= MIN_HEAP_MB, {
    message: `expected 0 (no cap) or at least ${MIN_HEAP_MB} (MB)`,
  }),
});

/** Node's flag, in either spelling V8 accepts, alone or with its value. */
const HEAP_FLAG = /\s--max[-_]old[-_]space[-_]size[=\s]/;

export type HeapCapDecision =
  /** `flag`: node already has a cap (the user's NODE_OPTIONS or flags, or this restart's); `off`: DCMX_MAX_HEAP_MB=0. */
  | { kind: "as-is"; reason: "flag" | "off" | "unsupported" }
  | { kind: "restart"; maxHeapMb: number; nodeOptions: string };

/**
 * Whether this process should start again with a heap cap: V8 fixes the heap's size when it starts
 * (`v8.setFlagsFromString` afterwards leaves heap_size_limit as it was, measured), so a cap needs a new
 * process. A cap node already has wins over DCMX_MAX_HEAP_MB; `canRestart` is false where the process
 * cannot replace itself (Windows, a worker thread).
 */
export function heapCapDecision(input: {
  env: Record<string, string | undefined>;
  execArgv: readonly string[];
  canRestart: boolean;
}): HeapCapDecision {
  const given = [...input.execArgv, input.env.NODE_OPTIONS ?? ""];
  if (given.some((options) => HEAP_FLAG.test(` ${options} `))) return { kind: "as-is", reason: "flag" };
  const { DCMX_MAX_HEAP_MB: maxHeapMb } = parseEnv(HeapEnvSchema, input.env);
  if (maxHeapMb === 0) return { kind: "as-is", reason: "off" };
  if (!input.canRestart) return { kind: "as-is", reason: "unsupported" };
  return { kind: "restart", maxHeapMb, nodeOptions: withHeapCap(input.env.NODE_OPTIONS, maxHeapMb) };
}

/**
 * NODE_OPTIONS with a heap cap added: passed in the environment rather than as a flag, so the processes a run
 * starts (the embedded S3 server) are capped too and a restarted process sees its cap.
 */
export function withHeapCap(nodeOptions: string | undefined, maxHeapMb: number): string {
  return [nodeOptions?.trim(), `--max-old-space-size=${maxHeapMb}`].filter(Boolean).join(" ");
}

/**
 * Replaces this process with the same command under a heap cap and glibc's arena limit, both inherited by the
 * processes it starts (same pid, terminal and signals: nothing waits in between), unless `heapCapDecision`
 * says to run as it is: glibc reads the limit only when a process starts. Called by what runs the pipeline (the
 * main job before it loads it, `dcmx upload`) and by nothing that holds a whole library's scan or report.
 * Throws ConfigError for a bad DCMX_MAX_HEAP_MB.
 */
export function capHeap(env: Record<string, string | undefined> = process.env): void {
  const decision = heapCapDecision({
    env,
    execArgv: process.execArgv,
    canRestart: typeof process.execve === "function" && isMainThread,
  });
  if (decision.kind !== "restart") return;
  const environment = Object.fromEntries(
    Object.entries({
      ...env,
      NODE_OPTIONS: decision.nodeOptions,
      MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? MALLOC_ARENAS,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  process.execve!(
    process.execPath,
    [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    environment,
  );
}
