import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { IntegrityError } from "../../errors.js";
import { EtagHasher } from "./etag.js";

/** The object's last bytes are kept hashed so a later ranged read can check the stored copy cheaply. */
export const TAIL_BYTES = 64 * 1024;

/** What the guard saw go out: enough to check the stored object without reading all of it back. */
export interface UploadFingerprint {
  etag: string;
  tailSha256: string;
  tailLength: number;
}

export interface ContentGuard extends Transform {
  /** Available once the stream has ended without error. */
  fingerprint(): UploadFingerprint;
}

/**
 * Passes bytes through while hashing them, and holds back the last chunk until the SHA-256 and size
 * match what we computed when addressing the file. If the file changed since then, the upload never
 * receives its final bytes, so the server cannot complete an object under a key its content does not
 * hash to: the single PUT falls short of its Content-Length and a multipart upload is aborted.
 */
export function contentGuard(
  expected: { size: number; sha256: string },
  label: string,
  parts: { partSize: number; multipart: boolean },
): ContentGuard {
  const hash = createHash("sha256");
  const etag = new EtagHasher(parts.partSize, parts.multipart);
  let seen = 0;
  let held: Buffer | undefined;
  let tail = Buffer.alloc(0);
  const mismatch = (what: string) =>
    new IntegrityError("CHANGED", `${what} differs from when the file was addressed`, {
      file: label,
      hint: "the file changed during the run: run the pipeline again so it is re-hashed",
    });
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      etag.update(chunk);
      seen += chunk.length;
      if (seen > expected.size) return callback(mismatch(`size (more than ${expected.size} bytes)`));
      if (seen > expected.size - TAIL_BYTES) tail = Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback) {
      if (seen !== expected.size)
        return callback(mismatch(`size (${seen} bytes, expected ${expected.size})`));
      if (hash.digest("hex") !== expected.sha256) return callback(mismatch("SHA-256"));
      callback(null, held);
    },
  }) as ContentGuard;
  guard.fingerprint = () => ({
    etag: etag.etag(),
    tailSha256: createHash("sha256").update(tail).digest("hex"),
    tailLength: tail.length,
  });
  return guard;
}
