import { createHash, type Hash } from "node:crypto";
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

/** Where the guard stood before a part was sent, to stand there again when the part is sent again. */
export interface GuardMark {
  readonly hash: Hash;
  readonly etag: EtagHasher;
  readonly seen: number;
  readonly tail: Buffer;
}

/**
 * Hashes every byte on its way out, in order, and holds back the file's last chunk until its size and
 * SHA-256 match what we computed when addressing it. If the file changed since then, the upload never
 * receives its final bytes, so the server cannot complete an object under a key its content does not hash
 * to: a single PUT falls short of its Content-Length and a multipart upload never sends its last part.
 * A multipart upload passes each part through its own `through()`, marking the guard before the part and
 * rewinding to that mark when the part has to be sent again.
 */
export class ContentGuard {
  readonly #expected: { size: number; sha256: string };
  readonly #label: string;
  #hash = createHash("sha256");
  #etag: EtagHasher;
  #seen = 0;
  #tail: Buffer = Buffer.alloc(0);

  constructor(
    expected: { size: number; sha256: string },
    label: string,
    parts: { partSize: number; multipart: boolean },
  ) {
    this.#expected = expected;
    this.#label = label;
    this.#etag = new EtagHasher(parts.partSize, parts.multipart);
  }

  /**
   * Passes the next `length` bytes through; the `last` ones hold back their final chunk until the whole
   * file checks out. Fewer bytes than `length` fail the stream: a part cut short by a file that shrank
   * would otherwise leave its request waiting for the rest of its Content-Length.
   */
  through({
    length,
    last,
    onBytes,
  }: {
    length: number;
    last: boolean;
    onBytes?: (bytes: number) => void;
  }): Transform {
    let held: Buffer | undefined;
    let passed = 0;
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        passed += chunk.length;
        onBytes?.(chunk.length);
        this.#hash.update(chunk);
        this.#etag.update(chunk);
        this.#seen += chunk.length;
        const { size } = this.#expected;
        if (this.#seen > size) return callback(this.#mismatch(`size (more than ${size} bytes)`));
        if (this.#seen > size - TAIL_BYTES)
          this.#tail = Buffer.concat([this.#tail, chunk]).subarray(-TAIL_BYTES);
        if (!last) return callback(null, chunk);
        const previous = held;
        held = chunk;
        callback(null, previous);
      },
      flush: (callback) => {
        if (passed < length) return callback(this.#mismatch(`size (the file ended early)`));
        if (!last) return callback();
        if (this.#seen !== this.#expected.size)
          return callback(this.#mismatch(`size (${this.#seen} bytes, expected ${this.#expected.size})`));
        if (this.#hash.digest("hex") !== this.#expected.sha256) return callback(this.#mismatch("SHA-256"));
        callback(null, held);
      },
    });
  }

  mark(): GuardMark {
    return { hash: this.#hash.copy(), etag: this.#etag.copy(), seen: this.#seen, tail: this.#tail };
  }

  /** Back to `mark`, which stays usable for another rewind. */
  rewind(mark: GuardMark): void {
    this.#hash = mark.hash.copy();
    this.#etag = mark.etag.copy();
    this.#seen = mark.seen;
    this.#tail = mark.tail;
  }

  /** Once every byte went through. */
  fingerprint(): UploadFingerprint {
    return {
      etag: this.#etag.etag(),
      tailSha256: createHash("sha256").update(this.#tail).digest("hex"),
      tailLength: this.#tail.length,
    };
  }

  #mismatch(what: string): IntegrityError {
    return new IntegrityError("CHANGED", `${what} differs from when the file was addressed`, {
      file: this.#label,
      hint: "the file changed during the run: run the pipeline again so it is re-hashed",
    });
  }
}
