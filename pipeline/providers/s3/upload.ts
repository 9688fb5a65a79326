import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { linkedAbort } from "../../util/linked-abort.js";
import { openSource, type PutRequest } from "../types.js";
import { ContentGuard, type UploadFingerprint } from "./content-guard.js";
import { encodeMetadata } from "./metadata.js";
import type { S3Calls } from "./s3-calls.js";

/** What a stored object is created with, whether in one PUT or in parts. */
interface ObjectParams {
  Bucket: string;
  Key: string;
  ContentType: string;
  Metadata: Record<string, string>;
}

/** Sends the bytes; returns what the content guard saw go out and the ETag the server gave them. */
export async function uploadObject(
  s3: S3Calls,
  key: string,
  request: PutRequest,
  partSize: number,
): Promise<{ fingerprint: UploadFingerprint; etag?: string }> {
  const { address, signal } = request;
  const multipart = address.size > partSize;
  const guard = new ContentGuard(address, key, { partSize, multipart });
  const object: ObjectParams = {
    Bucket: s3.bucket,
    Key: key,
    ContentType: request.mimeType,
    Metadata: encodeMetadata({ kind: request.kind, sha256: address.sha256, cid: address.cid }, request.meta),
  };
  const etag = multipart
    ? await multipartUpload(s3, object, request, guard, partSize)
    : (
        await sendBody(
          openSource(request.source),
          guard,
          { length: address.size, last: true, onBytes: request.onSent },
          signal,
          (Body, abortSignal) =>
            s3.client.send(new PutObjectCommand({ ...object, Body, ContentLength: address.size }), {
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
async function sendBody<T>(
  source: Readable,
  guard: ContentGuard,
  part: { length: number; last: boolean; onBytes?: (bytes: number) => void },
  signal: AbortSignal | undefined,
  send: (body: Readable, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const body = pipeline(source, guard.through(part), () => {});
  const request = linkedAbort(signal);
  let bodyError: unknown;
  body.once("error", (error) => {
    // An AbortError here only says the SDK stopped reading after its request failed.
    if (error.name === "AbortError") return;
    bodyError = error;
    request.controller.abort();
  });
  try {
    return await send(body, request.controller.signal);
  } catch (error) {
    throw bodyError ?? error;
  } finally {
    request.release();
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
async function multipartUpload(
  s3: S3Calls,
  object: ObjectParams,
  request: PutRequest,
  guard: ContentGuard,
  partSize: number,
): Promise<string | undefined> {
  const { Bucket, Key } = object;
  const { signal } = request;
  const size = request.address.size;
  await abortLeftovers(s3, Key, signal);
  const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand(object), {
    abortSignal: signal,
  });
  try {
    const parts: CompletedPart[] = [];
    for (let start = 0; start < size; start += partSize) {
      const length = Math.min(partSize, size - start);
      const PartNumber = parts.length + 1;
      const before = guard.mark();
      const { ETag } = await s3
        .attempt(`PUT ${Key} part ${PartNumber}`, signal, () => {
          guard.rewind(before);
          return sendBody(
            openSource(request.source, { start, length }),
            guard,
            { length, last: start + length === size, onBytes: request.onSent },
            signal,
            (Body, abortSignal) =>
              s3.client.send(
                new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, ContentLength: length, Body }),
                { abortSignal },
              ),
          );
        })
        .catch((error: Error) => {
          s3.retried(error);
          throw error;
        });
      parts.push({ PartNumber, ETag });
    }
    const { ETag } = await s3.client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    return ETag;
  } catch (error) {
    if (UploadId !== undefined) await abortMultipart(s3, Key, UploadId);
    throw error;
  }
}

/** Best effort: the upload is already failing, and a part that lingers is a cost, not a wrong object. */
async function abortMultipart(s3: S3Calls, key: string, uploadId: string): Promise<void> {
  await s3.client
    .send(new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId: uploadId }))
    .catch(() => undefined);
}

/**
 * Aborts unfinished multipart uploads of `key`: a run killed mid-upload (power loss, SIGKILL) could not
 * abort its own, and its parts would stay billed on Storj. Keys are content-addressed, so an upload of
 * this key is of these very bytes; another process sending them at this moment would lose its upload
 * and finds the object stored by this one on its next run. Best effort: a server without the listing
 * just keeps what it has.
 */
async function abortLeftovers(s3: S3Calls, key: string, signal?: AbortSignal): Promise<void> {
  const listing = await s3.client
    .send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: key }), { abortSignal: signal })
    .catch(() => undefined);
  for (const upload of listing?.Uploads ?? []) {
    if (upload.Key === key && upload.UploadId !== undefined) await abortMultipart(s3, key, upload.UploadId);
  }
}
