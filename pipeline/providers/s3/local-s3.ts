import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ProviderError } from "../../errors.js";
import type { S3ProviderConfig } from "./config.js";

export interface LocalS3Options {
  /** Where objects are kept between runs. */
  directory: string;
  /** 0 or unset picks a free port. */
  port?: number;
  bucket?: string;
}

export interface LocalS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  region: string;
  /** Where it keeps the objects. */
  directory: string;
  /** The server's process id (benchmarks count its CPU time). */
  pid: number;
  /** Stops the server process and waits for it to exit. */
  stop(): Promise<void>;
}

const SERVER_ENTRY = fileURLToPath(new URL("./local-s3-server.ts", import.meta.url));
const START_TIMEOUT_MS = 20_000;
const LOCAL_S3_MAX_HEAP_MB = 96;

/**
 * Starts s3rver, the embedded default's S3 server, in a child process (see local-s3-server.ts for why)
 * on 127.0.0.1. It does not check signatures, so it is for running without an account, never for auth tests.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const bucket = options.bucket ?? "dcmx-music";
  await mkdir(options.directory, { recursive: true });
  const child = fork(
    SERVER_ENTRY,
    [JSON.stringify({ directory: options.directory, port: options.port ?? 0, bucket })],
    {
      execArgv: [
        "--openssl-legacy-provider",
        // s3rver streams objects to disk, so a small heap of its own keeps its garbage in check (80 MB tracks
        // are stored under it): 4,000 puts and gets peaked at 104 MB instead of 167 (measured). A flag wins
        // over the run's NODE_OPTIONS cap, which is sized for the pipeline.
        `--max-old-space-size=${LOCAL_S3_MAX_HEAP_MB}`,
        "--max-semi-space-size=2",
        "--import",
        import.meta.resolve("tsx"),
      ],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const port = await waitForPort(child, () => stderr);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver accepts any credentials; these are its documented defaults.
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    bucket,
    region: "us-east-1",
    directory: options.directory,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/** Provider settings for a local S3; parts are small because nothing here crosses a network. */
export function localS3Config(local: LocalS3, name = "local-s3"): S3ProviderConfig {
  return {
    name,
    endpoint: local.endpoint,
    region: local.region,
    bucket: local.bucket,
    accessKeyId: local.accessKeyId,
    secretAccessKey: local.secretAccessKey,
    partSizeBytes: 16 * 1024 * 1024,
    urlExpiresSeconds: 3600,
  };
}

async function waitForPort(child: ChildProcess, stderr: () => string): Promise<number> {
  const failed = (why: string) =>
    new ProviderError("LOCAL_S3", `the local S3 server ${why}: ${stderr().trim() || "no output"}`, {
      provider: "local-s3",
      hint: "check that the directory is writable and the port is free",
    });
  const timer = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("message", (message) => resolve((message as { port: number }).port));
      child.once("error", (error) => reject(failed(`could not start (${error.message})`)));
      child.once("exit", (code, signal) => reject(failed(`exited before listening (${signal ?? code})`)));
    });
  } finally {
    clearTimeout(timer);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.disconnect();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
