import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { ProviderError } from "../../errors.js";
import { type S3Calls, statusOf } from "./s3-calls.js";

/** Outside the content-addressed prefixes, so the probe can never be taken for a track's object. */
const PROBE_KEY = "dcmx-doctor-probe";

/**
 * The provider's bucket as a whole: created on first use (once, however many uploads ask at the same
 * time), probed for writes, and listed for what it holds.
 */
export class S3Bucket {
  readonly #s3: S3Calls;
  #bucketReady?: Promise<void>;

  constructor(s3: S3Calls) {
    this.#s3 = s3;
  }

  /** Creates the bucket on first use; a bucket that is missing and cannot be created is a clear error. */
  ensure(signal?: AbortSignal): Promise<void> {
    this.#bucketReady ??= this.#createBucketIfMissing(signal).catch((error: unknown) => {
      this.#bucketReady = undefined;
      throw error;
    });
    return this.#bucketReady;
  }

  /** Objects and bytes in the whole bucket (what Storj bills), over every listing page. */
  async usage(
    billedSize: (size: number) => number = (size) => size,
  ): Promise<{ objects: number; bytes: number; billedBytes: number }> {
    await this.ensure();
    const { bucket } = this.#s3;
    let objects = 0;
    let bytes = 0;
    let billedBytes = 0;
    let token: string | undefined;
    do {
      const page = await this.#s3.attempt(`list ${bucket}`, undefined, () =>
        this.#s3.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token })),
      );
      for (const { Size = 0 } of page.Contents ?? []) {
        objects++;
        bytes += Size;
        billedBytes += billedSize(Size);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return { objects, bytes, billedBytes };
  }

  /**
   * Writes, reads back and deletes an empty object: what `dcmx doctor` asks, because a HEAD passes with
   * read-only keys and cannot meet the project limits that stop uploads (storage, segments) or downloads.
   */
  async probeWrite(signal?: AbortSignal): Promise<void> {
    await this.ensure(signal);
    const params = { Bucket: this.#s3.bucket, Key: PROBE_KEY };
    const { client } = this.#s3;
    await this.#s3.attempt(`PUT ${PROBE_KEY}`, signal, () =>
      client.send(new PutObjectCommand({ ...params, Body: "" }), { abortSignal: signal }),
    );
    await this.#s3.attempt(`GET ${PROBE_KEY}`, signal, async () => {
      const out = await client.send(new GetObjectCommand(params), { abortSignal: signal });
      await out.Body?.transformToByteArray();
    });
    await this.#s3.attempt(`DELETE ${PROBE_KEY}`, signal, () =>
      client.send(new DeleteObjectCommand(params), { abortSignal: signal }),
    );
  }

  async #createBucketIfMissing(signal?: AbortSignal): Promise<void> {
    const Bucket = this.#s3.bucket;
    const exists = await this.#s3.attempt(`check bucket ${Bucket}`, signal, async () => {
      try {
        await this.#s3.client.send(new HeadBucketCommand({ Bucket }), { abortSignal: signal });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    });
    if (exists) return;
    await this.#s3
      .attempt(`create bucket ${Bucket}`, signal, async () => {
        try {
          await this.#s3.client.send(new CreateBucketCommand({ Bucket }), { abortSignal: signal });
        } catch (error) {
          // Another worker created it between our HEAD and CREATE.
          if ((error as { name?: string }).name === "BucketAlreadyOwnedByYou") return;
          throw error;
        }
      })
      .catch((error: unknown) => {
        if (error instanceof ProviderError && !error.retryable) {
          throw new ProviderError("BUCKET", `bucket "${Bucket}" does not exist and could not be created`, {
            provider: this.#s3.name,
            status: error.status,
            field: "STORJ_BUCKET",
            cause: error,
            hint: `create it in the Storj console or give the access grant permission to create buckets (${error.message})`,
          });
        }
        throw error;
      });
  }
}
