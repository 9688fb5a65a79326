import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Why a request's signature was refused, in S3's own error codes. */
export class SignatureRefused extends Error {
  constructor(
    readonly code:
      | "AccessDenied"
      | "InvalidAccessKeyId"
      | "SignatureDoesNotMatch"
      | "AuthorizationHeaderMalformed",
    message: string,
  ) {
    super(message);
  }
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** RFC 3986 encoding as SigV4 wants it: encodeURIComponent leaves !'()* alone. */
const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text).digest();
export const sha256Hex = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Checks an S3 request's AWS Signature Version 4 (header form) against the one key pair the service knows,
 * computed from the request as received, independently of the AWS SDK that signed it: canonical request,
 * string to sign, the HMAC key chain, as AWS documents them. Returns the payload hash the client signed
 * (a hex SHA-256 the body must match, or UNSIGNED-PAYLOAD).
 */
export function verifySigV4(
  req: IncomingMessage,
  keys: { accessKey: string; secretKey: string; region: string },
): string {
  const match = AUTHORIZATION.exec(String(req.headers.authorization ?? ""));
  if (match === null)
    throw new SignatureRefused("AccessDenied", "the request is not signed with AWS4-HMAC-SHA256");
  const [, accessKey, day, region, service, signedHeaders, signature] = match as unknown as string[];
  if (accessKey !== keys.accessKey)
    throw new SignatureRefused("InvalidAccessKeyId", "the access key does not exist in our records");
  if (region !== keys.region || service !== "s3") {
    throw new SignatureRefused(
      "AuthorizationHeaderMalformed",
      `the authorization header is malformed; the region '${region}' is wrong; expecting '${keys.region}'`,
    );
  }
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
  const names = signedHeaders!.split(";");
  if (!amzDate.startsWith(day!) || !names.includes("host") || !names.includes("x-amz-date"))
    throw new SignatureRefused("AuthorizationHeaderMalformed", "host and x-amz-date must be signed");
  const [path, query = ""] = (req.url ?? "/").split("?", 2) as [string, string?];
  const canonicalQuery = query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const [key, value = ""] = pair.split("=", 2) as [string, string?];
      return [encode(decodeURIComponent(key)), encode(decodeURIComponent(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = ["s3", "aws4_request"].reduce(
    (key, part) => hmac(key, part),
    hmac(hmac(`AWS4${keys.secretKey}`, day!), region!),
  );
  const expected = createHmac("sha256", signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, "hex"))) {
    throw new SignatureRefused(
      "SignatureDoesNotMatch",
      "the request signature we calculated does not match the signature you provided",
    );
  }
  return payloadHash;
}
