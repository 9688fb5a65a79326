import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { AbortedError, DcmxError, InputError } from "../errors.js";
import { READ_SIZE } from "./import.js";
import { startOffThreadSha256 } from "./sha256-worker.js";

/** Streams a file in READ_SIZE pieces, each a fresh buffer the consumer may keep. */
export async function* readFileChunks(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (signal?.aborted) throw new AbortedError();
  try {
    yield* createReadStream(path, { highWaterMark: READ_SIZE, signal });
  } catch (error) {
    throw asReadError(error, path);
  }
}

/**
 * Reused read buffers: one being read ahead, the consumer's, the worker's, and one of slack so a
 * thread that the OS briefly deschedules does not stall the other. Few enough (4 MiB) that a piece
 * is still in the CPU cache when the second hash reads it.
 */
const SLOTS = 4;

export interface HashedFileRead {
  /** The file in READ_SIZE pieces; each stays valid until the consumer asks for the one after next. */
  pieces: AsyncGenerator<Uint8Array>;
  /** The whole file's hex SHA-256, once `pieces` is exhausted. */
  sha256(): Promise<string>;
}

/**
 * Shared buffers of finished reads, for the next files: the GC is slow to reclaim this external
 * memory, so a library of files would otherwise hold several buffers each until it runs.
 */
const idleBuffers: SharedArrayBuffer[] = [];
const IDLE_BUFFERS_KEPT = 2;

/**
 * Streams a file through SLOTS reused buffers in shared memory, reading ahead, while a worker thread
 * hashes every piece in place; the consumer's own work on the piece (the CID's leaf hashes) runs at
 * the same time on this thread. A buffer is refilled only once the worker and the consumer are both
 * past it, so nothing is copied and no 1 MiB buffer is allocated per read.
 */
export function readFileWithSha256(path: string, signal?: AbortSignal): HashedFileRead {
  let digest: Promise<string> | undefined;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    if (signal?.aborted) throw new AbortedError();
    const file = await open(path, "r").catch((error) => {
      throw asReadError(error, path);
    });
    const whole = startOffThreadSha256();
    const shared = idleBuffers.pop() ?? new SharedArrayBuffer(SLOTS * READ_SIZE);
    const slots = Array.from({ length: SLOTS }, (_, i) => new Uint8Array(shared, i * READ_SIZE, READ_SIZE));
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
    try {
      for (let turn = 0; ; turn++) {
        const piece = await next;
        if (piece.byteLength === 0) break;
        if (signal?.aborted) throw new AbortedError();
        hashed[turn % SLOTS] = quiet(whole.update(piece));
        next = readInto((turn + 1) % SLOTS);
        yield piece;
      }
      // Asked for here, not by the caller, so the job ends with the read whatever the caller does.
      digest = quiet(whole.digest());
    } catch (error) {
      throw asReadError(error, path);
    } finally {
      if (digest === undefined) whole.cancel();
      // Let a read still in flight finish before its file handle goes away.
      await next.catch(() => {});
      await file.close();
      // The digest comes once the worker has read every piece; a cancelled job's worker may still be
      // reading, so its buffer is left to the GC.
      const workerDone = await digest?.then(
        () => true,
        () => false,
      );
      if (workerDone && idleBuffers.length < IDLE_BUFFERS_KEPT) idleBuffers.push(shared);
    }
  }
  return {
    pieces: pieces(),
    sha256: () => digest ?? Promise.reject(new Error(`${path} has not been read to the end`)),
  };
}

export function asReadError(error: unknown, path: string): Error {
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
    file: path,
    cause: error,
    hint: "check the path and that the file is readable",
  });
}
