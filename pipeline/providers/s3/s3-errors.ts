import { asReadError } from "../../content/read.js";
import { AbortedError, AuthError, DcmxError, ProviderError, QuotaError } from "../../errors.js";
import { isTransient, parseRetryAfter } from "../../util/retry.js";
import { STORJ_LIMITS } from "./storj-limits.js";

interface SdkErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

export interface S3ErrorContext {
  provider: string;
  /** What we were doing: "PUT audio/ab…mp3", "create bucket dcmx-music". */
  operation: string;
  bucket: string;
  signal?: AbortSignal;
}

/**
 * Turns whatever the AWS SDK threw into our typed errors: a Storj project limit is a QuotaError naming
 * the limit, any other 403 means the keys are wrong (neither retried), 404/400 are permanent with a hint,
 * 429/5xx and network failures are transient and carry Retry-After.
 */
export function toS3Error(error: unknown, context: S3ErrorContext): DcmxError {
  if (error instanceof DcmxError) return error;
  if (context.signal?.aborted) return new AbortedError(`${context.operation} cancelled`);
  // The file being sent failed to open or read (gone, unreadable since the scan): the track's own input,
  // not the endpoint, and no retry brings it back.
  const fsError = error as NodeJS.ErrnoException | undefined;
  if (typeof fsError?.path === "string" && typeof fsError.code === "string") {
    const read = asReadError(error, fsError.path);
    if (read instanceof DcmxError) return read;
  }
  const e = (error ?? {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const code = e.name ?? "Error";
  const detail = `${context.operation} failed: ${code}${e.message && e.message !== code ? ` (${e.message})` : ""}`;
  const base = { provider: context.provider, status, cause: error };
  const limit = STORJ_LIMITS[code];
  if (limit !== undefined && !limit.retryable) {
    return new QuotaError(`${detail}, HTTP ${status}: ${limit.what}`, {
      ...base,
      limit: limit.limit,
      hint: limit.raise,
    });
  }
  if (status === 401 || status === 403) {
    return new AuthError(`${detail}, HTTP ${status}`, {
      ...base,
      field: "STORJ_ACCESS_KEY/STORJ_SECRET_KEY",
      hint:
        code === "AccessDenied"
          ? `the keys are valid but not allowed on bucket "${context.bucket}": give the access grant read, write, list and delete there`
          : "the S3 credentials were refused: create a new S3 access grant in the Storj console and set both keys again",
    });
  }
  if (status === 404) {
    const bucketMissing = code === "NoSuchBucket";
    return new ProviderError("NOT_FOUND", `${detail}, HTTP 404`, {
      ...base,
      field: bucketMissing ? "STORJ_BUCKET" : undefined,
      hint: bucketMissing
        ? `check that bucket "${context.bucket}" exists and STORJ_ENDPOINT is the right gateway`
        : `the object is not in bucket "${context.bucket}": upload the track again`,
    });
  }
  if (status === 429 || code === "SlowDown" || (status !== undefined && status >= 500)) {
    return new ProviderError("HTTP", `${detail}, HTTP ${status}`, {
      ...base,
      retryable: true,
      retryAfterMs: parseRetryAfter(e.$response?.headers?.["retry-after"]),
      hint: limit === undefined ? undefined : `${limit.what}: ${limit.raise}`,
    });
  }
  if (status !== undefined) {
    return new ProviderError("HTTP", `${detail}, HTTP ${status}`, {
      ...base,
      hint: "the server refused the request as malformed; check STORJ_ENDPOINT and STORJ_REGION",
    });
  }
  return new ProviderError("NETWORK", detail, {
    ...base,
    retryable: isTransient(error) || e.name === "TimeoutError" || e.name === "RequestTimeout",
    hint: "the S3 endpoint could not be reached; check STORJ_ENDPOINT and the network",
  });
}
