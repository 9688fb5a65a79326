// Longer than 300 lines because it is one service's API: Filebase's S3 bucket that imports our CAR, sent in
// parts from a spooled file, its CID read back from the object, with one error mapping for every request.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { CID } from "multiformats/cid";
import { AbortedError, AuthError, DcmxError, ProviderError } from "../../errors.js";
import { isTransient } from "../../util/retry.js";
import { createS3Client } from "../s3/client.js";
import { openSource, type PutRequest } from "../types.js";
import type { FilebaseConfig } from "./config.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { httpError } from "./http-errors.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const FILEBASE = "filebase";

const MIB = 1024 * 1024;
/**
 * Filebase takes a single PUT up to 5 GB; above one part we go multipart so a failure costs one part.
 * Its limits are S3's: parts of at least 5 MiB (but the last), at most 10,000 parts.
 */
const DEFAULT_PART_SIZE = 16 * MIB;
const MAX_PARTS = 10_000;

/**
 * Filebase's code for a used-up plan is not documented: these are the S3 403 codes that say the account,
 * not the keys, is the problem (AccountProblem is S3's; the others are modelled on Storj's and S3's names).
 */
const ACCOUNT_LIMIT = /quota|limitexceeded|accountproblem/i;
const KEYS = "FILEBASE_ACCESS_KEY/FILEBASE_SECRET_KEY";

export interface FilebaseOptions extends RemoteOptions {
  config: FilebaseConfig;
  /** The CAR of each object is written here before it goes up, and removed after. */
  workDir: string;
  /** Bytes per multipart part; tests use small parts, below Filebase's minimum of 5 MiB. */
  partSizeBytes?: number;
}

/** Failures that already used up their own retries: the upload around them is not tried again for them. */
const exhausted = new WeakSet<object>();

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * Filebase's IPFS buckets over its S3 API (s3.filebase.com). Each object is our CAR, put with
 * `x-amz-meta-import: car` so Filebase imports its DAG instead of chunking the bytes its own way, under
 * the key `<cid>.car`: the same content is the same key, so an upload again replaces rather than adds,
 * and a HeadObject of that key says whether Filebase holds it. Filebase answers the root it imported as
 * `x-amz-meta-cid` (on the PUT response, or in HeadObject's metadata as its own SDK reads it), and the
 * content is then read back through the gateway.
 *
 * The AWS SDK is used directly rather than @filebase/sdk: that SDK uploads through lib-storage (up to six
 * 25.6 MB parts buffered per upload), builds CARs itself in a temporary Helia, and cannot send a CAR we
 * already built; its CID is the same HeadObject we do here.
 */
export class FilebaseProvider extends RemoteIpfsProvider {
  readonly name = FILEBASE;
  readonly #config: FilebaseConfig;
  readonly #client: S3Client;
  readonly #carDir: string;
  readonly #partSize: number;
  #bucketChecked?: Promise<void>;
  #carDirReady?: Promise<unknown>;

  constructor(node: EmbeddedIpfsNode, options: FilebaseOptions) {
    const { config, workDir, partSizeBytes, ...remote } = options;
    const retryable = remote.retry?.isRetryable ?? isTransient;
    super(node, {
      ...remote,
      gateway: remote.gateway ?? config.gateway,
      retry: {
        ...remote.retry,
        isRetryable: (e) => !(e instanceof Object && exhausted.has(e)) && retryable(e),
      },
    });
    this.#config = config;
    this.#client = createS3Client({
      endpoint: config.endpoint,
      // Filebase signs every bucket in us-east-1.
      region: "us-east-1",
      accessKeyId: config.accessKey,
      secretAccessKey: config.secretKey,
    });
    this.#carDir = join(workDir, "filebase");
    this.#partSize = partSizeBytes ?? DEFAULT_PART_SIZE;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const { signal } = request;
    const Key = objectKey(cid);
    const car = await this.#writeCar(cid, signal);
    try {
      const partSize = Math.max(this.#partSize, Math.ceil(car.size / MAX_PARTS));
      const reported =
        car.size <= partSize
          ? await this.#request(`PUT ${Key}`, signal, (abortSignal) =>
              this.#sendForCid(
                new PutObjectCommand({
                  ...this.#object(Key),
                  Body: openSource({ path: car.path }),
                  ContentLength: car.size,
                }),
                abortSignal,
              ),
            )
          : await this.#multipart(Key, car, partSize, signal);
      return reported ?? (await this.#storedCid(Key, signal)) ?? this.#noCid(Key);
    } finally {
      await rm(car.path, { force: true });
    }
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    await this.#checkBucket(signal);
    const stored = await this.#storedCid(objectKey(cid), signal);
    return stored !== undefined && sameCid(stored, cid);
  }

  override async close(): Promise<void> {
    this.#client.destroy();
  }

  /** What every object is created with, in one PUT or in parts: the flag that makes Filebase import a CAR. */
  #object(Key: string) {
    return {
      Bucket: this.#config.bucket,
      Key,
      ContentType: "application/vnd.ipld.car",
      Metadata: { import: "car" },
    };
  }

  /** The DAG as a CAR file, so its size is known (S3 wants a Content-Length) and a part can be sent again. */
  async #writeCar(cid: CID, signal?: AbortSignal): Promise<{ path: string; size: number }> {
    // CARs left by a killed run are of no use (each upload writes its own): cleared once, on first use.
    this.#carDirReady ??= rm(this.#carDir, { recursive: true, force: true }).then(() =>
      mkdir(this.#carDir, { recursive: true }),
    );
    await this.#carDirReady;
    const path = join(this.#carDir, `${cid}-${randomUUID()}.car`);
    try {
      await pipeline(Readable.from(this.carStream(cid, signal)), createWriteStream(path), { signal });
      return { path, size: (await stat(path)).size };
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
  }

  /**
   * Sends the CAR in parts, one after another, each streamed from the file. A part that fails is sent again
   * on its own; any failure aborts the upload so no part is left billed.
   */
  async #multipart(
    Key: string,
    car: { path: string; size: number },
    partSize: number,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const Bucket = this.#config.bucket;
    const { UploadId } = await this.#request(`create upload of ${Key}`, signal, (abortSignal) =>
      this.#client.send(new CreateMultipartUploadCommand(this.#object(Key)), { abortSignal }),
    );
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0; start < car.size; start += partSize) {
        const length = Math.min(partSize, car.size - start);
        const PartNumber = parts.length + 1;
        const { ETag } = await this.#request(`PUT ${Key} part ${PartNumber}`, signal, (abortSignal) =>
          this.#client.send(
            new UploadPartCommand({
              Bucket,
              Key,
              UploadId,
              PartNumber,
              ContentLength: length,
              Body: openSource({ path: car.path }, { start, length }),
            }),
            { abortSignal },
          ),
        );
        parts.push({ PartNumber, ETag });
      }
      return await this.#request(`complete upload of ${Key}`, signal, (abortSignal) =>
        this.#sendForCid(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
          abortSignal,
        ),
      );
    } catch (error) {
      // Best effort: the upload is failing already, and a lingering part is a cost, not a wrong object.
      await this.#client
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * Sends a request that creates the object and returns the `x-amz-meta-cid` Filebase answers with it.
   * The SDK's outputs carry no metadata for PUT and Complete, so the header is read off the raw response.
   */
  async #sendForCid(
    command: PutObjectCommand | CompleteMultipartUploadCommand,
    abortSignal?: AbortSignal,
  ): Promise<string | undefined> {
    let cid: string | undefined;
    // Both commands share the middleware stack's shape; TypeScript cannot resolve `add` on their union.
    (command.middlewareStack as PutObjectCommand["middlewareStack"]).add(
      (next) => async (args) => {
        const result = await next(args);
        cid = (result.response as { headers?: Record<string, string> }).headers?.["x-amz-meta-cid"];
        return result;
      },
      { step: "deserialize" },
    );
    await this.#client.send(command as PutObjectCommand, { abortSignal });
    return cid;
  }

  /** The root Filebase holds under `Key` (HeadObject's `Metadata.cid`), or undefined for no such object. */
  #storedCid(Key: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.#request(`HEAD ${Key}`, signal, async (abortSignal) => {
      try {
        const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#config.bucket, Key }), {
          abortSignal,
        });
        return head.Metadata?.cid;
      } catch (error) {
        if ((error as SdkError).$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    });
  }

  /**
   * To HeadObject a missing bucket looks like a missing object (a HEAD answer has no error code), so the
   * bucket is asked about once: `dcmx doctor` and the first upload then name FILEBASE_BUCKET.
   */
  #checkBucket(signal?: AbortSignal): Promise<void> {
    const Bucket = this.#config.bucket;
    this.#bucketChecked ??= this.#request(`HEAD bucket ${Bucket}`, signal, async (abortSignal) => {
      try {
        await this.#client.send(new HeadBucketCommand({ Bucket }), { abortSignal });
      } catch (error) {
        throw (error as SdkError).$metadata?.httpStatusCode === 404
          ? this.#noBucket(`HEAD bucket ${Bucket}`, error)
          : error;
      }
    }).catch((error: unknown) => {
      this.#bucketChecked = undefined;
      throw error;
    });
    return this.#bucketChecked;
  }

  #noBucket(operation: string, cause: unknown): ProviderError {
    return new ProviderError("NOT_FOUND", `${operation} failed: NoSuchBucket, HTTP 404`, {
      provider: this.name,
      status: 404,
      cause,
      field: "FILEBASE_BUCKET",
      hint: `create the IPFS bucket "${this.#config.bucket}" in the Filebase console, or name an existing one`,
    });
  }

  #noCid(Key: string): never {
    throw new ProviderError("NO_CID", `stored ${Key} but reported no CID for it`, {
      provider: this.name,
      field: "FILEBASE_BUCKET",
      hint: `only IPFS buckets on ${this.#config.endpoint} give a CID: check that "${this.#config.bucket}" is an IPFS bucket and FILEBASE_ENDPOINT is https://s3.filebase.com, not the object tier s3.filebase.io`,
    });
  }

  /**
   * One S3 request under the retry policy with its failure mapped to our errors. A failure that used up its
   * retries is marked, so the upload around it is not tried again whole (a part sent five times is enough).
   */
  #request<T>(
    operation: string,
    signal: AbortSignal | undefined,
    run: (signal?: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return this.call(async () => {
      try {
        return await run(signal);
      } catch (error) {
        if (signal?.aborted) throw new AbortedError(`${operation} cancelled`);
        throw this.#error(error, operation);
      }
    }, signal).catch((error: unknown) => {
      if (error instanceof Object) exhausted.add(error);
      throw error;
    });
  }

  /** What Filebase's S3 answer means for the user: keys, bucket, plan, or a transient failure. */
  #error(error: unknown, operation: string): unknown {
    if (error instanceof DcmxError) return error;
    const e = error as SdkError;
    const status = e.$metadata?.httpStatusCode;
    // No HTTP answer: a network failure, which `isTransient` judges.
    if (status === undefined) return error;
    const code = e.name ?? "Error";
    const detail = `${operation} failed: ${code}`;
    const context = { provider: this.name, status, cause: error };
    if (status === 403 && ACCOUNT_LIMIT.test(code)) {
      return new ProviderError("QUOTA", `${detail}, HTTP 403`, {
        ...context,
        hint: "the Filebase account's plan or storage is used up (Filebase does not document this code; DCMX Mint reads any quota or account-limit code so): upgrade the plan or free space in the Filebase console, then run again",
      });
    }
    if (status === 401 || status === 403) {
      return new AuthError(`${detail}, HTTP ${status}`, {
        ...context,
        field: KEYS,
        hint:
          code === "AccessDenied"
            ? `the keys are valid but may not write to bucket "${this.#config.bucket}": use keys of the account that owns it`
            : "Filebase refused the keys: copy both from the Filebase console (Access Keys) again",
      });
    }
    if (code === "NoSuchBucket") return this.#noBucket(operation, error);
    return httpError(this.name, status, detail, {
      retryAfter: e.$response?.headers?.["retry-after"],
      hint:
        status < 500 && status !== 429 ? "Filebase refused the request; check FILEBASE_ENDPOINT" : undefined,
      cause: error,
    });
  }
}

/** The object of a DAG: named by its root, so the same content always lands on the same key. */
export function objectKey(cid: CID): string {
  return `${cid}.car`;
}

function sameCid(reported: string, cid: CID): boolean {
  try {
    return CID.parse(reported).toV1().equals(cid.toV1());
  } catch {
    return false;
  }
}
