import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { AbortedError, DcmxError, InputError } from "../errors.js";
import { type FilePath, showPath } from "../util/file-name.js";
import { READ_SIZE } from "./import.js";
import { startOffThreadSha256 } from "./sha256-worker.js";

/** Streams a file in READ_SIZE pieces, each a fresh buffer the consumer may keep. */
export async function* readFileChunks(path: FilePath, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (signal?.aborted) throw new AbortedError();
  try {
    yield* createReadStream(path, { highWaterMark: READ_SIZE, signal });
  } catch (error) {
    throw asReadError(error, path);
  }
}

/**
 * Reused read buffers per file. Hashing on the worker needs four: one being read ahead, the consumer's,
 * the worker's, and one of slack so a thread that the OS briefly deschedules does not stall the other
 * (few enough that a piece is still in the CPU cache when the second hash reads it). Without the worker,
 * two: one being read ahead while the consumer, done with a piece once it asks for the next, has the other.
 */
const slotsFor = (sha256: boolean) => (sha256 ? 4 : 2);

export interface FilePieces {
  /**
   * The file in READ_SIZE pieces. With `sha256`, a piece stays valid until the consumer asks for the one
   * after next; without, until it asks for the next. The last one stays valid until `consume` settles
   * (a chunker hands on its remainder after the source ends).
   */
  pieces: AsyncIterable<Uint8Array>;
  /** The whole file's hex SHA-256, once `pieces` is exhausted (only when asked for with `sha256`). */
  sha256(): Promise<string>;
}

/**
 * Shared buffers of finished reads, for the next files. A dropped buffer is reclaimed only when both
 * this thread's and the worker's GC get to it, which can take a whole library: dropping one whenever
 * another read still held its own made a scan of 100 files at concurrency 3 allocate 12-28 of them
 * (48-114 MB). So as many are kept as were ever in use at once, up to MAX_KEPT.
 */
const MAX_KEPT = 8;
const pools = new Map<number, { idle: SharedArrayBuffer[]; inUse: number; mostInUse: number }>();
const poolFor = (slots: number) => {
  const pool = pools.get(slots) ?? { idle: [], inUse: 0, mostInUse: 0 };
  pools.set(slots, pool);
  return pool;
};

/**
 * Streams a file through reused buffers in shared memory, reading ahead, into `consume`; with
 * `sha256`, a worker thread hashes every piece in place while the consumer's own work on it (the CID's
 * leaf hashes) runs on this thread. A buffer is refilled only once the worker and the consumer are
 * both past it, so nothing is copied and no 1 MiB buffer is allocated per read. The buffers go back
 * to the pool when `consume` has settled and the worker is done with them.
 */
export async function consumeFile<T>(
  path: FilePath,
  options: { sha256: boolean; signal?: AbortSignal },
  consume: (file: FilePieces) => Promise<T>,
): Promise<T> {
  const { signal } = options;
  const slotCount = slotsFor(options.sha256);
  const pool = poolFor(slotCount);
  let digest: Promise<string> | undefined;
  let shared: SharedArrayBuffer | undefined;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    if (signal?.aborted) throw new AbortedError();
    const file = await open(path, "r").catch((error) => {
      throw asReadError(error, path);
    });
    const whole = options.sha256 ? startOffThreadSha256() : undefined;
    shared = pool.idle.pop() ?? new SharedArrayBuffer(slotCount * READ_SIZE);
    pool.mostInUse = Math.max(pool.mostInUse, ++pool.inUse);
    const slots = Array.from(
      { length: slotCount },
      (_, i) => new Uint8Array(shared!, i * READ_SIZE, READ_SIZE),
    );
    const hashed: Promise<void>[] = slots.map(() => Promise.resolve());
    // A failure while the consumer is busy is reported when it asks for that piece, not as unhandled.
    const quiet = <T>(promise: Promise<T>) => {
      promise.catch(() => {});
      return promise;
    };
    const readInto = (slot: number) =>
      quiet(
        hashed[slot]!.then(async () => {
          const { bytesRead } = await file.read(slots[slot]!, 0, READ_SIZE, null);
          return slots[slot]!.subarray(0, bytesRead);
        }),
      );
    let next = readInto(0);
    let complete = false;
    try {
      for (let turn = 0; ; turn++) {
        const piece = await next;
        if (piece.byteLength === 0) break;
        if (signal?.aborted) throw new AbortedError();
        if (whole) hashed[turn % slotCount] = quiet(whole.update(piece));
        next = readInto((turn + 1) % slotCount);
        yield piece;
      }
      complete = true;
      // Asked for here, not by the caller, so the job ends with the read whatever the caller does.
      if (whole) digest = quiet(whole.digest());
    } catch (error) {
      throw asReadError(error, path);
    } finally {
      if (!complete) whole?.cancel();
      // Let a read still in flight finish before its file handle goes away.
      await next.catch(() => {});
      await file.close();
    }
  }
  const unread = () => Promise.reject(new Error(`${path} has not been read to the end with sha256`));
  try {
    return await consume({ pieces: pieces(), sha256: () => digest ?? unread() });
  } finally {
    if (shared !== undefined) {
      pool.inUse--;
      // A hashing job that did not reach its digest may still have the worker reading the buffer, so
      // that buffer is left to the GC.
      const workerDone = options.sha256
        ? await (digest ?? Promise.reject()).then(
            () => true,
            () => false,
          )
        : true;
      if (workerDone && pool.idle.length < Math.min(pool.mostInUse, MAX_KEPT)) pool.idle.push(shared);
    }
  }
}

export function asReadError(error: unknown, path: FilePath): Error {
  if (error instanceof DcmxError) return error;
  if ((error as Error)?.name === "AbortError") return new AbortedError();
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code !== "string") return error as Error;
  const reasons: Record<string, string> = {
    ENOENT: "no such file",
    EISDIR: "is a directory, not a file",
    EACCES: "permission denied",
    EPERM: "permission denied",
  };
  return new InputError("READ", `cannot read: ${reasons[code] ?? code}`, {
    file: typeof path === "string" ? path : showPath(path),
    cause: error,
    hint: "check the path and that the file is readable",
  });
}
