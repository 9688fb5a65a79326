import { S3Client } from "@aws-sdk/client-s3";
import type { S3ProviderConfig } from "./config.js";

const ignore = () => {};
const SILENT = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * Path-style addressing works on every S3 server (Storj's gateway, Ceph RGW, s3rver) without wildcard DNS.
 * Checksums only WHEN_REQUIRED: Storj's gateway rejects the SDK's default streaming checksum trailer and
 * other servers mis-store it. The SDK does not retry (maxAttempts 1): `withRetry` owns one retry policy
 * that honours Retry-After, and a half-sent stream could not be replayed by the SDK anyway.
 */
export function createS3Client(
  config: Pick<
    S3ProviderConfig,
    "endpoint" | "region" | "accessKeyId" | "secretAccessKey" | "requestTimeoutMs"
  >,
): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
    // The SDK would print to the console (e.g. "error in a non-retryable streaming request"); every
    // failure reaches the caller as a typed error instead, and withRetry replays streams from the source.
    logger: SILENT,
    requestHandler: {
      connectionTimeout: 10_000,
      // An idle socket for this long means the server hung: fail and let withRetry try again. Without
      // throwOnRequestTimeout the SDK only logs a warning and waits forever (found by the hung-server test).
      requestTimeout: config.requestTimeoutMs ?? 120_000,
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  });
}
