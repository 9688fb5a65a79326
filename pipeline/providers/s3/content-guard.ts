import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { IntegrityError } from "../../errors.js";

/**
 * Passes bytes through while hashing them, and holds back the last chunk until the SHA-256 and size
 * match what we computed when addressing the file. If the file changed since then, the upload never
 * receives its final bytes, so the server cannot complete an object under a key its content does not
 * hash to: the single PUT falls short of its Content-Length and a multipart upload is aborted.
 */
export function contentGuard(expected: { size: number; sha256: string }, label: string): Transform {
  const hash = createHash("sha256");
  let seen = 0;
  let held: Buffer | undefined;
  const mismatch = (what: string) =>
    new IntegrityError("CHANGED", `${what} differs from when the file was addressed`, {
      file: label,
      hint: "the file changed during the run: run the pipeline again so it is re-hashed",
    });
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      seen += chunk.length;
      if (seen > expected.size) return callback(mismatch(`size (more than ${expected.size} bytes)`));
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
  });
}
