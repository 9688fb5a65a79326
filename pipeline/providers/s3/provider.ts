import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { IntegrityError, ProviderError } from "../../errors.js";
import { isTransient, type RetryOptions, withRetry } from "../../util/retry.js";
import {
  openSource,
  type ProviderStats,
  type PutRequest,
  type StatsOptions,
  type StorageProvider,
  type StoredObject,
} from "../types.js";
import { createS3Client } from "./client.js";
import type { S3ProviderConfig } from "./config.js";
import { ContentGuard, type UploadFingerprint } from "./content-guard.js";
import { objectKey } from "./keys.js";
import { decodeMetadata, encodeMetadata } from "./metadata.js";
import { toS3Error } from "./s3-errors.js";

/** Outside the content-addressed prefixes, so the probe can never be taken for a track's object. */
const PROBE_KEY = "dcmx-doctor-probe";

/** What a stored object is created with, whether in one PUT or in parts. */
interface ObjectParams {
  Bucket: string;
  Key: string;
  ContentType: string;
  Metadata: Record<string, string>;
}

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
 * ones in a multipart upload whose parts are streamed one after another (see `#multipart`).
 */
export class S3Provider implements StorageProvider {
  readonly name: string;
  readonly #config: S3ProviderConfig;
  readonly #client: S3Client;
  readonly #retry: Omit<RetryOptions, "signal">;
  #bucketReady?: Promise<void>;
  /** Failures of parts that were already retried on their own: the whole upload is not tried again. */
  readonly #retriedParts = new WeakSet<object>();

  constructor(config: S3ProviderConfig, options: S3ProviderOptions = {}) {
    this.name = config.name;
    this.#config = config;
    this.#client = createS3Client(config);
    this.#retry = options.retry ?? {};
  }

  get bucket(): string {
    return this.#config.bucket;
  }

  async put(request: PutRequest): Promise<StoredObject> {
    const { address, signal } = request;
    const key = objectKey(request.kind, address.sha256, request.extension);
    await this.#ensureBucket(signal);
    let sent = false;
    let confirmed: UploadFingerprint | undefined;
    await this.#attempt(`PUT ${key}`, signal, async () => {
      // Size and metadata are what we sent, not proof of the bytes: an object already there is read back,
      // so a corrupt copy (a faulty server, an earlier bad upload) is overwritten rather than reused.
      const head = await this.#headOnce(key, signal);
      if (matches(head, address) && (await this.#holds(key, address, signal))) return;
      sent = true;
      const { fingerprint, etag } = await this.#upload(key, request);
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
    await this.#ensureBucket();
    const billedSize = options.billedSize ?? ((size: number) => size);
    let objects = 0;
    let bytes = 0;
    let billedBytes = 0;
    let token: string | undefined;
    do {
      const page = await this.#attempt(`list ${this.bucket}`, undefined, () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token })),
      );
      for (const { Size = 0 } of page.Contents ?? []) {
        objects++;
        bytes += Size;
        billedBytes += billedSize(Size);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return { provider: this.name, objects, bytes, billedBytes };
  }

  /**
   * Writes, reads back and deletes an empty object: what `dcmx doctor` asks, because a HEAD passes with
   * read-only keys and cannot meet the project limits that stop uploads (storage, segments) or downloads.
   */
  async probeWrite(signal?: AbortSignal): Promise<void> {
    await this.#ensureBucket(signal);
    const params = { Bucket: this.bucket, Key: PROBE_KEY };
    await this.#attempt(`PUT ${PROBE_KEY}`, signal, () =>
      this.#client.send(new PutObjectCommand({ ...params, Body: "" }), { abortSignal: signal }),
    );
    await this.#attempt(`GET ${PROBE_KEY}`, signal, async () => {
      const out = await this.#client.send(new GetObjectCommand(params), { abortSignal: signal });
      await out.Body?.transformToByteArray();
    });
    await this.#attempt(`DELETE ${PROBE_KEY}`, signal, () =>
      this.#client.send(new DeleteObjectCommand(params), { abortSignal: signal }),
    );
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

  /** Sends the bytes; returns what the content guard saw go out and the ETag the server gave them. */
  async #upload(
    key: string,
    request: PutRequest,
  ): Promise<{ fingerprint: UploadFingerprint; etag?: string }> {
    const { address, signal } = request;
    const partSize = this.#config.partSizeBytes;
    const multipart = address.size > partSize;
    const guard = new ContentGuard(address, key, { partSize, multipart });
    const object: ObjectParams = {
      Bucket: this.bucket,
      Key: key,
      ContentType: request.mimeType,
      Metadata: encodeMetadata(
        { kind: request.kind, sha256: address.sha256, cid: address.cid },
        request.meta,
      ),
    };
    const etag = multipart
      ? await this.#multipart(object, request, guard)
      : (
          await this.#sendBody(
            openSource(request.source),
            guard,
            { length: address.size, last: true, onBytes: request.onSent },
            signal,
            (Body, abortSignal) =>
              this.#client.send(new PutObjectCommand({ ...object, Body, ContentLength: address.size }), {
                abortSignal,
              }),
          )
        ).ETag;
    return { fingerprint: guard.fingerprint(), etag };
  }

  /**
   * Sends `source` through the guard as the body of `send`. A body that fails (unreadable file, content
   * guard) aborts the request: otherwise the server keeps waiting for the rest of its Content-Length.
   */
  async #sendBody<T>(
    source: Readable,
    guard: ContentGuard,
    part: { length: number; last: boolean; onBytes?: (bytes: number) => void },
    signal: AbortSignal | undefined,
    send: (body: Readable, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const body = pipeline(source, guard.through(part), () => {});
    const bodyFailed = new AbortController();
    let bodyError: unknown;
    body.once("error", (error) => {
      // An AbortError here only says the SDK stopped reading after its request failed.
      if (error.name === "AbortError") return;
      bodyError = error;
      bodyFailed.abort();
    });
    try {
      return await send(body, signal ? AbortSignal.any([signal, bodyFailed.signal]) : bodyFailed.signal);
    } catch (error) {
      throw bodyError ?? error;
    } finally {
      body.destroy();
    }
  }

  /**
   * Sends the file in parts of `partSize`, one after another, each read from the file while it is sent:
   * memory stays at the stream's buffers whatever the part size (lib-storage's Upload holds up to its
   * queue size + 2 whole parts per file: 238 MB of buffers for two 1 GB files in 16 MiB parts, ~1.9 GB at
   * Storj's 64 MiB parts with five files at once). Files go up concurrently, which keeps the connection
   * busy. A part that fails transiently is sent again from the file, the guard rewound to where the part
   * began, so a dropped connection costs one part, not the file; a part that used up its retries is not
   * retried again as a whole file. Any failure, a cancel included, aborts the upload before this returns,
   * so no part is left on the server (Storj bills them until they are removed).
   */
  async #multipart(
    object: ObjectParams,
    request: PutRequest,
    guard: ContentGuard,
  ): Promise<string | undefined> {
    const { Bucket, Key } = object;
    const { signal } = request;
    const size = request.address.size;
    await this.#abortLeftovers(Key, signal);
    const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand(object), {
      abortSignal: signal,
    });
    try {
      const parts: CompletedPart[] = [];
      const partSize = this.#config.partSizeBytes;
      for (let start = 0; start < size; start += partSize) {
        const length = Math.min(partSize, size - start);
        const PartNumber = parts.length + 1;
        const before = guard.mark();
        const { ETag } = await this.#attempt(`PUT ${Key} part ${PartNumber}`, signal, () => {
          guard.rewind(before);
          return this.#sendBody(
            openSource(request.source, { start, length }),
            guard,
            { length, last: start + length === size, onBytes: request.onSent },
            signal,
            (Body, abortSignal) =>
              this.#client.send(
                new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, ContentLength: length, Body }),
                { abortSignal },
              ),
          );
        }).catch((error: Error) => {
          this.#retriedParts.add(error);
          throw error;
        });
        parts.push({ PartNumber, ETag });
      }
      const { ETag } = await this.#client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        { abortSignal: signal },
      );
      return ETag;
    } catch (error) {
      if (UploadId !== undefined) await this.#abortMultipart(Key, UploadId);
      throw error;
    }
  }

  /** Best effort: the upload is already failing, and a part that lingers is a cost, not a wrong object. */
  async #abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.#client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
  }

  /**
   * Aborts unfinished multipart uploads of `key`: a run killed mid-upload (power loss, SIGKILL) could not
   * abort its own, and its parts would stay billed on Storj. Keys are content-addressed, so an upload of
   * this key is of these very bytes; another process sending them at this moment would lose its upload
   * and finds the object stored by this one on its next run. Best effort: a server without the listing
   * just keeps what it has.
   */
  async #abortLeftovers(key: string, signal?: AbortSignal): Promise<void> {
    const listing = await this.#client
      .send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: key }), { abortSignal: signal })
      .catch(() => undefined);
    for (const upload of listing?.Uploads ?? []) {
      if (upload.Key === key && upload.UploadId !== undefined)
        await this.#abortMultipart(key, upload.UploadId);
    }
  }

  /** Creates the bucket on first use; a bucket that is missing and cannot be created is a clear error. */
  #ensureBucket(signal?: AbortSignal): Promise<void> {
    this.#bucketReady ??= this.#createBucketIfMissing(signal).catch((error: unknown) => {
      this.#bucketReady = undefined;
      throw error;
    });
    return this.#bucketReady;
  }

  async #createBucketIfMissing(signal?: AbortSignal): Promise<void> {
    const Bucket = this.bucket;
    const exists = await this.#attempt(`check bucket ${Bucket}`, signal, async () => {
      try {
        await this.#client.send(new HeadBucketCommand({ Bucket }), { abortSignal: signal });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    });
    if (exists) return;
    await this.#attempt(`create bucket ${Bucket}`, signal, async () => {
      try {
        await this.#client.send(new CreateBucketCommand({ Bucket }), { abortSignal: signal });
      } catch (error) {
        // Another worker created it between our HEAD and CREATE.
        if ((error as { name?: string }).name === "BucketAlreadyOwnedByYou") return;
        throw error;
      }
    }).catch((error: unknown) => {
      if (error instanceof ProviderError && !error.retryable) {
        throw new ProviderError("BUCKET", `bucket "${Bucket}" does not exist and could not be created`, {
          provider: this.name,
          status: error.status,
          field: "STORJ_BUCKET",
          cause: error,
          hint: `create it in the Storj console or give the access grant permission to create buckets (${error.message})`,
        });
      }
      throw error;
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

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** An object matches when its size and recorded SHA-256 are ours: then its bytes are ours too. */
function matches(head: S3ObjectHead | undefined, expected: { size: number; sha256: string }): boolean {
  return head !== undefined && head.size === expected.size && head.metadata.sha256 === expected.sha256;
}
