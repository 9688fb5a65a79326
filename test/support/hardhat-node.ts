import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_MAX_HEAP_MB, withHeapCap } from "../../pipeline/config/heap-cap.js";

const HARDHAT = new URL("../../node_modules/.bin/hardhat", import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export interface HardhatNode {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real `hardhat node` process (JSON-RPC over HTTP on 127.0.0.1), as a user runs it; `chainId` other than
 * 31337 makes it look like a public network to the pipeline (`networkExposure`).
 */
export async function startHardhatNode(options: { chainId?: number } = {}): Promise<HardhatNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const chainId = options.chainId === undefined ? [] : ["--chain-id", String(options.chainId)];
  const child: ChildProcess = spawn(HARDHAT, ["node", "--port", String(port), ...chainId], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d).slice(-4000)));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited: ${output}`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface KillOptions {
  signal?: NodeJS.Signals;
  /** Milliseconds after start. */
  afterMs?: number;
  /** Once the output contains this text (e.g. the first track line), so the kill lands mid-work however slow startup is. */
  onOutput?: string;
}

/**
 * Runs the README's main command as a child process with `env` on top of this one's environment.
 * `--no-compile`: `hardhat test` built the contracts before any test ran, so each child's own build check
 * only costs time (0.5-0.9 s a run, measured), and processes started together would race on its cache file.
 */
export function runMintLibrary(env: Record<string, string>, kill: KillOptions = {}): Promise<RunResult> {
  return runHardhat(["run", "--no-compile", "--network", "localhost", "scripts/mint-library.ts"], env, kill);
}

/** Runs `hardhat <args>` (a task, as a user types it) as a child process, like `runMintLibrary`. */
export function runHardhat(
  args: string[],
  env: Record<string, string>,
  kill: KillOptions = {},
): Promise<RunResult> {
  return runProcess(HARDHAT, args, env, kill);
}

const DCMX = new URL("../../bin/dcmx.js", import.meta.url).pathname;

/** Runs `dcmx <args>` as a user does (a child process, CI=true for plain progress lines). */
export function runDcmx(
  args: string[],
  env: Record<string, string>,
  kill: KillOptions = {},
): Promise<RunResult> {
  return runProcess(process.execPath, [DCMX, ...args], env, kill);
}

function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  kill: KillOptions,
): Promise<RunResult> {
  const child = spawn(command, args, {
    // Capped as the entry points cap themselves, given up front so they need not restart (a Hardhat start-up each).
    env: {
      ...process.env,
      CI: "true",
      NODE_OPTIONS: withHeapCap(process.env.NODE_OPTIONS, DEFAULT_MAX_HEAP_MB),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let killed = false;
  // One signal only: a second Ctrl-C means "force" to the pipeline.
  const stop = () => {
    if (killed || child.exitCode !== null) return;
    killed = true;
    child.kill(kill.signal ?? "SIGKILL");
  };
  const collect = (d: Buffer) => {
    output += d;
    if (kill.onOutput !== undefined && output.includes(kill.onOutput)) stop();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const timer = kill.afterMs === undefined ? undefined : setTimeout(stop, kill.afterMs);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}
