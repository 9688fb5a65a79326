import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { summaryLines } from "../report/report.js";
import { writeCatalogReport } from "./catalog-report.js";

/** The main job, run by a worker process exactly as a user runs it. */
const MINT_SCRIPT = fileURLToPath(new URL("../../scripts/mint-library.ts", import.meta.url));

/** Hardhat's command-line entry, from its package (no `npx` lookup, no shell). */
function hardhatCli(): string {
  const require = createRequire(import.meta.url);
  const manifest = require("hardhat/package.json") as { bin: Record<string, string> };
  return join(dirname(require.resolve("hardhat/package.json")), manifest.bin.hardhat!);
}

/**
 * Starts one worker: `hardhat run --no-compile scripts/mint-library.ts --network <network>` (the contracts
 * are built once beforehand: workers building together race on Hardhat's cache) with DCMX_WORKER set and
 * `env` on top of this process's environment; `line` as in `runHardhat`.
 */
export function runWorkerProcess(
  network: string,
  env: Record<string, string>,
  line?: (text: string) => void,
): Promise<number> {
  return runHardhat(["run", "--no-compile", "--network", network, MINT_SCRIPT], {
    env: { ...process.env, ...env, DCMX_WORKER: "true", DCMX_WORKERS: "1" },
    line,
  });
}

/** `hardhat build`: what `dcmx worker` runs before its worker (a worker started by mint-library has it done). */
export function buildContracts(): Promise<number> {
  return runHardhat(["build", "--quiet"], {});
}

/**
 * Runs the Hardhat CLI with `args`; output goes to `line` line by line, or to this terminal without it.
 * Resolves with its exit code (a signal counts as interrupted, 130).
 */
function runHardhat(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; line?: (text: string) => void },
): Promise<number> {
  const { env, line } = options;
  const child = spawn(process.execPath, [hardhatCli(), ...args], {
    env,
    stdio: line === undefined ? "inherit" : ["ignore", "pipe", "pipe"],
  });
  if (line !== undefined) {
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on("line", line);
  }
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 130));
  });
}

/** Exit codes of the main job, least to most serious: a set of workers exits with the most serious. */
const SERIOUSNESS = [0, 75, 1, 130];

/**
 * `mint-library` with DCMX_WORKERS=N: N workers on this machine, each with its own work directory under
 * `workDir` (its embedded IPFS node, its lock, its report), sharing the PostgreSQL ledger; their lines are
 * prefixed with the worker's number. `env` is what the task's flags set: a worker reads only its
 * environment. The run's report (`reportPath`) is written here once the workers end, for the whole catalog
 * (`writeCatalogReport`), and summed up on the last lines.
 */
export async function runLocalWorkers(options: {
  count: number;
  network: string;
  workDir: string;
  reportPath: string;
  env?: Record<string, string | undefined>;
  write?: (text: string) => void;
}): Promise<number> {
  const startedAt = new Date();
  const write = options.write ?? ((text: string) => console.log(text));
  const flags = Object.fromEntries(
    Object.entries(options.env ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const workDirs = Array.from({ length: options.count }, (_, index) =>
    join(options.workDir, `worker-${index + 1}`),
  );
  // Each worker reports into its own work directory, whatever DCMX_REPORT the environment or --report says.
  const reports = workDirs.map((dir) => join(dir, "report.json"));
  const codes = await Promise.all(
    workDirs.map((dir, index) =>
      runWorkerProcess(
        options.network,
        { ...flags, DCMX_WORKDIR: dir, DCMX_REPORT: reports[index]! },
        (text) => write(`[worker ${index + 1}] ${text}`),
      ),
    ),
  );
  const summary = await writeCatalogReport({ path: options.reportPath, reports, startedAt });
  if (summary !== undefined) for (const line of summaryLines(summary, options.reportPath)) write(line);
  return codes.reduce((worst, code) => (rank(code) > rank(worst) ? code : worst), 0);
}

/** An exit code no worker should give (a crash) counts as the most serious. */
function rank(code: number): number {
  return SERIOUSNESS.includes(code) ? SERIOUSNESS.indexOf(code) : SERIOUSNESS.length;
}
