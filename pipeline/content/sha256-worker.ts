import { Worker } from "node:worker_threads";

/**
 * The worker's whole program, plain CommonJS so it runs the same under tsx, Hardhat's loader or a
 * compiled build. Each message hashes one piece of one job, or ends the job; every message gets one
 * answer, in order, so the main thread matches answers to requests per job with a queue.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const jobs = new Map();
parentPort.on("message", ({ job, piece, end }) => {
  let hash = jobs.get(job);
  if (hash === undefined) jobs.set(job, (hash = createHash("sha256")));
  if (piece !== undefined) {
    hash.update(piece);
    parentPort.postMessage({ job });
  } else {
    jobs.delete(job);
    if (end) parentPort.postMessage({ job, digest: hash.digest("hex") });
  }
});
`;

/** A running whole-file SHA-256 on the worker thread. */
export interface OffThreadSha256 {
  /**
   * Hashes `piece` after the previous ones. It must live in a SharedArrayBuffer, which the worker
   * reads in place; the promise settles once the worker is done with it and it may be overwritten.
   */
  update(piece: Uint8Array): Promise<void>;
  /** The hex digest of all the pieces; ends the job. */
  digest(): Promise<string>;
  /** Ends the job without a digest, when its caller failed or stopped early. */
  cancel(): void;
}

interface Waiter {
  resolve(digest: string | undefined): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
let nextJob = 0;
/** Per job, the requests still waiting for the worker's answer, oldest first. */
const jobs = new Map<number, Waiter[]>();

/**
 * Starts hashing a file on a thread of its own, so that the main thread's leaf hashing (the CID)
 * runs alongside it: WebCrypto's "async" digest does most of its work on the calling thread. One
 * worker serves every job and is created on first use; it only keeps the process alive while a job
 * runs.
 */
export function startOffThreadSha256(): OffThreadSha256 {
  const job = nextJob++;
  const waiters: Waiter[] = [];
  const thread = runningWorker();
  if (jobs.size === 0) thread.ref();
  jobs.set(job, waiters);
  const request = (message: { piece?: Uint8Array; end?: true }) =>
    new Promise<string | undefined>((resolve, reject) => {
      if (!jobs.has(job)) return reject(new Error("the SHA-256 job has already ended"));
      waiters.push({ resolve, reject });
      thread.postMessage({ job, ...message });
    });
  return {
    update: async (piece) => {
      await request({ piece });
    },
    digest: async () => {
      const digest = await request({ end: true });
      endJob(job);
      return digest!;
    },
    cancel: () => {
      if (!jobs.has(job)) return;
      thread.postMessage({ job });
      // The caller stopped using the pieces; nothing waits for these answers any more.
      for (const waiter of waiters.splice(0)) waiter.resolve(undefined);
      endJob(job);
    },
  };
}

function runningWorker(): Worker {
  if (worker !== undefined) return worker;
  const thread = new Worker(WORKER_SOURCE, { eval: true });
  thread.on("message", ({ job, digest }: { job: number; digest?: string }) => {
    jobs.get(job)?.shift()?.resolve(digest);
  });
  const fail = (error: Error) => {
    if (worker === thread) worker = undefined;
    for (const [job, waiters] of jobs) {
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      jobs.delete(job);
    }
  };
  thread.on("error", fail);
  thread.on("exit", (code) => fail(new Error(`the SHA-256 worker exited (code ${code})`)));
  worker = thread;
  return thread;
}

function endJob(job: number): void {
  jobs.delete(job);
  if (jobs.size === 0) worker?.unref();
}
