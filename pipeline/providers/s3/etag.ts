import { createHash, type Hash } from "node:crypto";

/**
 * The ETag an S3 server following the usual rules gives the bytes we send: the MD5 of the object for
 * a single PUT, or `<MD5 of the concatenated part MD5s>-<parts>` for a multipart upload in parts of
 * `partSize` (the provider cuts exactly there). Servers with encryption at rest may not follow them,
 * so a mismatch only means "cannot tell", never "corrupt". Only the digest the upload path needs is
 * computed: MD5 is the costliest part of an upload's CPU time.
 */
export class EtagHasher {
  readonly #partSize: number;
  readonly #multipart: boolean;
  readonly #parts: Buffer[] = [];
  #part: Hash = createHash("md5");
  #inPart = 0;

  constructor(partSize: number, multipart: boolean) {
    this.#partSize = partSize;
    this.#multipart = multipart;
  }

  update(chunk: Buffer): void {
    if (!this.#multipart) {
      this.#part.update(chunk);
      return;
    }
    let rest = chunk;
    while (rest.length > 0) {
      const take = Math.min(rest.length, this.#partSize - this.#inPart);
      this.#part.update(rest.subarray(0, take));
      this.#inPart += take;
      rest = rest.subarray(take);
      if (this.#inPart === this.#partSize) {
        this.#parts.push(this.#part.digest());
        this.#part = createHash("md5");
        this.#inPart = 0;
      }
    }
  }

  /** An independent hasher in the same state (to hash a part again after a failed send). */
  copy(): EtagHasher {
    const twin = new EtagHasher(this.#partSize, this.#multipart);
    twin.#parts.push(...this.#parts);
    twin.#part = this.#part.copy();
    twin.#inPart = this.#inPart;
    return twin;
  }

  /** The quoted ETag. Call once, after the last update. */
  etag(): string {
    if (!this.#multipart) return `"${this.#part.digest("hex")}"`;
    const parts = this.#inPart > 0 ? [...this.#parts, this.#part.digest()] : this.#parts;
    return `"${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}"`;
  }
}
