import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { IntegrityError } from "../../errors.js";
import { isTransient, type RetryOptions, withRetry } from "../../util/retry.js";
import type { ProviderStats, PutRequest, StatsOptions, StorageProvider, StoredObject } from "../types.js";
import { S3Bucket } from "./bucket.js";
import { createS3Client } from "./client.js";
import type { S3ProviderConfig } from "./config.js";
import type { UploadFingerprint } from "./content-guard.js";
import { objectKey } from "./keys.js";
import { decodeMetadata } from "./metadata.js";
import { type S3Calls, statusOf } from "./s3-calls.js";
import { toS3Error } from "./s3-errors.js";
import { uploadObject } from "./upload.js";

export interface S3ProviderOptions {
  /** Retry policy for every request (defaults of `withRetry` otherwise); the signal comes per call. */
  retry?: Omit<RetryOptions, "signal">;
}

/** What a HEAD tells us about a stored object, with user metadata decoded. */
export interface S3ObjectHead {
  size: number;
  etag?: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/**
 * A `StorageProvider` on any S3-compatible server (Storj DCS, Ceph RGW, the embedded s3rver).
 * Objects live under content-addressed keys with their SHA-256 and CID in `x-amz-meta-*`, so a HEAD
 * tells whether an upload can be skipped. Files up to one part are streamed in a single PUT; larger
 * ones in a multipart upload whose parts are streamed one after another (see `./upload.ts`).
 */
export class S3Provider implements StorageProvider {
  readonly name: string;
  readonly #config: S3ProviderConfig;
  readonly #client: S3Client;
  readonly #retry: Omit<RetryOptions, "signal">;
  readonly #s3: S3Calls;
  readonly #bucket: S3Bucket;
  /** Failures of parts that were already retried on their own: the whole upload is not tried again. */
  readonly #retriedParts = new WeakSet<object>();

  constructor(config: S3ProviderConfig, options: S3ProviderOptions = {}) {
    this.name = config.name;
    this.#config = config;
    this.#client = createS3Client(config);
    this.#retry = options.retry ?? {};
    this.#s3 = {
      name: this.name,
      bucket: config.bucket,
      client: this.#client,
      attempt: (operation, signal, run) => this.#attempt(operation, signal, run),
      retried: (error) => this.#retriedParts.add(error),
    };
    this.#bucket = new S3Bucket(this.#s3);
  }

  get bucket(): string {
    return this.#config.bucket;
  }

  async put(request: PutRequest): Promise<StoredObject> {
    const { address, signal } = request;
    const key = objectKey(request.kind, address.sha256, request.extension);
    await this.#bucket.ensure(signal);
    let sent = false;
    let confirmed: UploadFingerprint | undefined;
    await this.#attempt(`PUT ${key}`, signal, async () => {
      // Size and metadata are what we sent, not proof of the bytes: an object already there is read back,
      // so a corrupt copy (a faulty server, an earlier bad upload) is overwritten rather than reused.
      const head = await this.#headOnce(key, signal);
      if (matches(head, address) && (await this.#holds(key, address, signal))) return;
      sent = true;
      const { fingerprint, etag } = await uploadObject(this.#s3, key, request, this.#config.partSizeBytes);
      // The server's ETag equal to the MD5 rules over the bytes the guard let through proves it stored
      // exactly those bytes, with the metadata sent in the same request; otherwise ask it what it has.
      if (etag === fingerprint.etag) {
        confirmed = fingerprint;
        return;
      }
      confirmed = undefined;
      const stored = await this.#headOnce(key, signal);
      if (!matches(stored, address) || !(await this.#holds(key, address, signal))) {
        throw new IntegrityError(
          "MISMATCH",
          `${this.name} does not hold the bytes sent: its size, SHA-256 or read-back differs after upload`,
          {
            file: key,
            hint: "the server did not store what was sent: run again to upload it again, and check the endpoint is a conforming S3 server",
          },
        );
      }
    });
    return {
      provider: this.name,
      kind: request.kind,
      locator: key,
      sha256: address.sha256,
      cid: address.cid,
      size: address.size,
      reused: !sent,
      ...(confirmed && { confirmed }),
    };
  }

  async has(object: StoredObject): Promise<boolean> {
    return matches(await this.head(object.locator), object);
  }

  /** The object's size and decoded metadata, or undefined when there is no such key. */
  head(key: string, signal?: AbortSignal): Promise<S3ObjectHead | undefined> {
    return this.#attempt(`HEAD ${key}`, signal, () => this.#headOnce(key, signal));
  }

  get(object: StoredObject, signal?: AbortSignal): Promise<Readable> {
    return this.#attempt(`GET ${object.locator}`, signal, () => this.#getOnce(object.locator, signal));
  }

  /**
   * Checks the stored copy against the SHA-256 we recorded (the hash minted on-chain). For an object whose
   * upload was `confirmed` (its ETag matched the MD5 rules over the very bytes the content guard let
   * through (SHA-256-checked), the server has already proven it received them: one ranged GET of the
   * last 64 KiB, answering with the same ETag and total size and the same tail bytes (so the object is
   * still ours and is served intact to its end), then suffices and spares Storj egress. Everything else
   * (objects recorded without that proof, servers whose ETags are not MD5s because of encryption at rest, any
   * mismatch) is streamed back whole and hashed, and only that full read can fail the check.
   */
  async verify(object: StoredObject, signal?: AbortSignal): Promise<void> {
    const fingerprint = object.confirmed;
    if (fingerprint !== undefined && (await this.#tailMatches(object, fingerprint, signal))) return;
    await this.#attempt(`verify ${object.locator}`, signal, async () => {
      const { size, sha256 } = await hashStream(await this.#getOnce(object.locator, signal), signal);
      if (size !== object.size || sha256 !== object.sha256) {
        throw new IntegrityError(
          "MISMATCH",
          `read back ${size} bytes with SHA-256 ${sha256}, expected ${object.size} bytes with ${object.sha256}`,
          {
            file: `${this.name}:${object.locator}`,
            hint: "the stored copy is corrupt: upload the track again",
          },
        );
      }
    });
  }

  /** A public link when the bucket is shared (STORJ_PUBLIC_URL), otherwise a signed, expiring GET URL. */
  async url(object: StoredObject, options: { expiresInSeconds?: number } = {}): Promise<string> {
    if (this.#config.publicBaseUrl !== undefined) return `${this.#config.publicBaseUrl}/${object.locator}`;
    const expiresIn = options.expiresInSeconds ?? this.#config.urlExpiresSeconds;
    return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.bucket, Key: object.locator }), {
      expiresIn,
    });
  }

  /** Objects and bytes in the whole bucket (what Storj bills), over every listing page. */
  async stats(options: StatsOptions = {}): Promise<ProviderStats> {
    return { provider: this.name, ...(await this.#bucket.usage(options.billedSize)) };
  }

  /** See `S3Bucket.probeWrite`: what `dcmx doctor` asks. */
  probeWrite(signal?: AbortSignal): Promise<void> {
    return this.#bucket.probeWrite(signal);
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #headOnce(key: string, signal?: AbortSignal): Promise<S3ObjectHead | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return {
        size: out.ContentLength ?? 0,
        etag: out.ETag,
        contentType: out.ContentType,
        metadata: decodeMetadata(out.Metadata),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Reads the whole object back: whether its bytes are the ones `address` describes. */
  async #holds(key: string, address: PutRequest["address"], signal?: AbortSignal): Promise<boolean> {
    const { size, sha256 } = await hashStream(await this.#getOnce(key, signal), signal);
    return size === address.size && sha256 === address.sha256;
  }

  async #getOnce(key: string, signal?: AbortSignal): Promise<Readable> {
    const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: signal,
    });
    return out.Body as Readable;
  }

  async #tailMatches(
    object: StoredObject,
    fingerprint: UploadFingerprint,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return this.#attempt(`verify ${object.locator}`, signal, async () => {
      if (fingerprint.tailLength === 0) return object.size === 0;
      const from = object.size - fingerprint.tailLength;
      const out = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: object.locator,
          Range: `bytes=${from}-${object.size - 1}`,
        }),
        { abortSignal: signal },
      );
      const tail = await hashStream(out.Body as Readable, signal);
      return (
        out.ETag === fingerprint.etag &&
        out.ContentRange === `bytes ${from}-${object.size - 1}/${object.size}` &&
        tail.size === fingerprint.tailLength &&
        tail.sha256 === fingerprint.tailSha256
      );
    });
  }

  /** Runs one S3 operation under the retry policy, with every failure mapped to our typed errors. */
  #attempt<T>(operation: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    const context = { provider: this.name, operation, bucket: this.bucket, signal };
    return withRetry(
      async () => {
        try {
          return await run();
        } catch (error) {
          throw toS3Error(error, context);
        }
      },
      {
        ...this.#retry,
        signal,
        isRetryable: (error) =>
          !(error instanceof Object && this.#retriedParts.has(error)) &&
          (this.#retry.isRetryable ?? isTransient)(error),
      },
    );
  }
}

async function hashStream(body: Readable, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  await pipelineAsync(
    body,
    async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
      }
    },
    { signal },
  );
  return { size, sha256: hash.digest("hex") };
}

/** An object matches when its size and recorded SHA-256 are ours: then its bytes are ours too. */
function matches(head: S3ObjectHead | undefined, expected: { size: number; sha256: string }): boolean {
  return head !== undefined && head.size === expected.size && head.metadata.sha256 === expected.sha256;
}
