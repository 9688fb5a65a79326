import { createReadStream } from "node:fs";
import { AbortedError, InputError } from "../errors.js";
import { READ_SIZE } from "./import.js";

/** Streams a file in READ_SIZE pieces, turning fs and abort failures into our typed errors. */
export async function* readFileChunks(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (signal?.aborted) throw new AbortedError();
  try {
    yield* createReadStream(path, { highWaterMark: READ_SIZE, signal });
  } catch (error) {
    throw asReadError(error, path);
  }
}

export function asReadError(error: unknown, path: string): Error {
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
