import { z } from "zod";
import { parseEnv } from "../../config/env.js";
import { envInt, envString } from "../../config/env-values.js";
import { ConfigError } from "../../errors.js";
import { registerSecret } from "../../util/secrets.js";

export const STORJ_DEFAULT_ENDPOINT = "https://gateway.storjshare.io";
const MIB = 1024 * 1024;

/** S3's bucket naming rules (3-63 lower-case letters, digits, dots, hyphens; no leading/trailing dot or hyphen). */
const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name: 3-63 of a-z 0-9 . -");

const HttpUrl = z
  .url({ protocol: /^https?$/, message: "expected an http(s) URL" })
  .transform((url) => url.replace(/\/+$/, ""));

export const StorjEnvSchema = z.object({
  STORJ_ACCESS_KEY: envString(),
  STORJ_SECRET_KEY: envString(),
  STORJ_BUCKET: envString().pipe(BucketName.default("dcmx-music")),
  STORJ_ENDPOINT: envString().pipe(HttpUrl.default(STORJ_DEFAULT_ENDPOINT)),
  /** Storj's gateway ignores the region but SigV4 signs it; other S3 servers may insist on theirs. */
  STORJ_REGION: envString().pipe(z.string().default("us-east-1")),
  /** Storj recommends 64 MiB parts; S3 allows 5 MiB to 5 GiB. */
  STORJ_PART_SIZE_MB: envInt(64, 5, 5120),
  /** Base of public links when the bucket is shared (e.g. a Storj linkshare URL); unset means signed URLs. */
  STORJ_PUBLIC_URL: envString().pipe(HttpUrl.optional()),
  /** A request whose socket stays idle this long is abandoned and retried: a hung server must not hang the run. */
  STORJ_TIMEOUT_SECONDS: envInt(120, 1, 3600),
  /** Lifetime of signed URLs; SigV4 caps it at 7 days. */
  STORJ_URL_EXPIRES_SECONDS: envInt(3600, 1, 604_800),
});

/** Everything an S3 provider needs; Storj, Ceph RGW and the embedded s3rver all use this shape. */
export interface S3ProviderConfig {
  /** Provider name in records and messages ("storj"). */
  name: string;
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  partSizeBytes: number;
  publicBaseUrl?: string;
  urlExpiresSeconds: number;
  /** Idle time after which a request is abandoned (default 120 s). */
  requestTimeoutMs?: number;
}

/**
 * Reads the Storj variables. Returns undefined when no key is set (the pipeline then uses its embedded
 * local S3); a half-configured pair is an error rather than a silent fallback.
 */
export function loadStorjConfig(
  env: Record<string, string | undefined> = process.env,
  source = "environment",
): S3ProviderConfig | undefined {
  const e = parseEnv(StorjEnvSchema, env, source);
  registerSecret(e.STORJ_SECRET_KEY);
  registerSecret(e.STORJ_ACCESS_KEY);
  if (e.STORJ_ACCESS_KEY === undefined && e.STORJ_SECRET_KEY === undefined) return undefined;
  const missing = e.STORJ_ACCESS_KEY === undefined ? "STORJ_ACCESS_KEY" : "STORJ_SECRET_KEY";
  if (e.STORJ_ACCESS_KEY === undefined || e.STORJ_SECRET_KEY === undefined) {
    throw new ConfigError("CONFIG", "is empty while the other Storj key is set", {
      file: source,
      field: missing,
      hint: "set both S3 credentials from one Storj access grant, or neither to use the embedded local S3",
    });
  }
  return {
    name: "storj",
    endpoint: e.STORJ_ENDPOINT,
    region: e.STORJ_REGION,
    bucket: e.STORJ_BUCKET,
    accessKeyId: e.STORJ_ACCESS_KEY,
    secretAccessKey: e.STORJ_SECRET_KEY,
    partSizeBytes: e.STORJ_PART_SIZE_MB * MIB,
    publicBaseUrl: e.STORJ_PUBLIC_URL,
    urlExpiresSeconds: e.STORJ_URL_EXPIRES_SECONDS,
    requestTimeoutMs: e.STORJ_TIMEOUT_SECONDS * 1000,
  };
}
