import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { expect } from "chai";
import {
  AbortedError,
  AuthError,
  InputError,
  type ProviderError,
  QuotaError,
} from "../../pipeline/errors.js";
import type { S3ProviderConfig } from "../../pipeline/providers/s3/config.js";
import { S3Provider } from "../../pipeline/providers/s3/provider.js";
import { toS3Error } from "../../pipeline/providers/s3/s3-errors.js";
import { parseRetryAfter } from "../../pipeline/util/retry.js";

const context = { provider: "storj", operation: "PUT audio/x.mp3", bucket: "dcmx-music" };
const sdkError = (name: string, status?: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`${name} message`), {
    name,
    $metadata: { httpStatusCode: status },
    $response: { headers },
  });

describe("S3 error mapping", () => {
  it("treats refused credentials as permanent AuthErrors naming the variables", () => {
    for (const name of ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"]) {
      const error = toS3Error(sdkError(name, 403), context);
      expect(error).to.be.instanceOf(AuthError);
      expect(error.retryable).to.equal(false);
      expect(error.message).to.include("STORJ_ACCESS_KEY/STORJ_SECRET_KEY").and.include("PUT audio/x.mp3");
    }
  });

  it("names each Storj project limit in a permanent QuotaError that says how to raise it, not as bad keys", () => {
    const expected = {
      StorageLimitExceeded: ["storage", /storage limit is reached \(Pro accounts start at 25 TB\)/],
      BandwidthLimitExceeded: [
        "egress",
        /egress \(download bandwidth\) limit is reached \(Pro accounts start at 100 TB\)/,
      ],
      SegmentsLimitExceeded: [
        "segments",
        /segment limit is reached \(Pro accounts start at 100,000,000 segments/,
      ],
    } as const;
    for (const [code, [limit, what]] of Object.entries(expected)) {
      const error = toS3Error(sdkError(code, 403), context);
      expect(error, code).to.be.instanceOf(QuotaError).and.not.be.instanceOf(AuthError);
      expect(error.retryable).to.equal(false);
      expect((error as QuotaError).limit).to.equal(limit);
      expect(error.message).to.match(what).and.include(`PUT audio/x.mp3 failed: ${code}`);
      expect(error.message).to.include("request a limit increase, or upgrade the account to Pro");
      expect(error.message).to.not.include("STORJ_ACCESS_KEY");
    }
  });

  it("keeps Storj's 429 SlowDown transient, saying which rate limit it is", () => {
    const error = toS3Error(sdkError("SlowDown", 429), context);
    expect(error).to.not.be.instanceOf(QuotaError);
    expect(error.retryable).to.equal(true);
    expect(error.message).to.include("100 requests/s, 1 write/s to the same key");
  });

  it("treats 429, SlowDown and 5xx as transient and keeps Retry-After", () => {
    const slow = toS3Error(sdkError("SlowDown", 503, { "retry-after": "7" }), context) as ProviderError;
    expect(slow.retryable).to.equal(true);
    expect(slow.retryAfterMs).to.equal(7000);
    expect(toS3Error(sdkError("TooManyRequests", 429), context).retryable).to.equal(true);
    expect(toS3Error(sdkError("InternalError", 500), context).retryable).to.equal(true);
  });

  it("fails fast on a missing bucket and on 400 with a hint", () => {
    const missing = toS3Error(sdkError("NoSuchBucket", 404), context);
    expect(missing.retryable).to.equal(false);
    expect(missing.field).to.equal("STORJ_BUCKET");
    const bad = toS3Error(sdkError("InvalidArgument", 400), context);
    expect(bad.retryable).to.equal(false);
    expect(bad.message).to.include("HTTP 400").and.include("STORJ_ENDPOINT");
  });

  it("retries network failures only", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(toS3Error(refused, context).retryable).to.equal(true);
    expect(toS3Error(new Error("Invalid URL"), context).retryable).to.equal(false);
  });

  it("reports a source file gone or unreadable as the track's InputError naming it, not as the endpoint", () => {
    for (const code of ["ENOENT", "EACCES"]) {
      const fsError = Object.assign(new Error(`${code}: open '/music/a.flac'`), {
        code,
        path: "/music/a.flac",
      });
      const error = toS3Error(fsError, context);
      expect(error, code).to.be.instanceOf(InputError);
      expect(error.message).to.include("/music/a.flac").and.not.include("STORJ_ENDPOINT");
      expect(error.retryable).to.equal(false);
    }
  });

  it("reports cancellation as AbortedError", () => {
    const controller = new AbortController();
    controller.abort();
    const error = toS3Error(sdkError("AbortError"), { ...context, signal: controller.signal });
    expect(error).to.be.instanceOf(AbortedError);
  });

  it("parses Retry-After in seconds and as an HTTP date", () => {
    expect(parseRetryAfter("2")).to.equal(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).to.equal(6000);
    expect(parseRetryAfter("soon")).to.equal(undefined);
    expect(parseRetryAfter(undefined)).to.equal(undefined);
  });
});

describe("S3 provider retries against a server that says SlowDown", () => {
  let server: Server;
  let requests = 0;

  before(async () => {
    server = createServer((req, res) => {
      requests++;
      if (requests === 1) {
        res.writeHead(503, { "retry-after": "1", "content-type": "application/xml" });
        res.end("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
        return;
      }
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(
        req.method === "HEAD"
          ? undefined
          : "<ListBucketResult><Name>dcmx-music</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  });

  after(() => server.close());

  function provider(onRetry: (error: unknown, attempt: number, delayMs: number) => void): S3Provider {
    const config: S3ProviderConfig = {
      name: "storj",
      endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      region: "us-east-1",
      bucket: "dcmx-music",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG",
      partSizeBytes: 5 * 1024 * 1024,
      urlExpiresSeconds: 60,
    };
    return new S3Provider(config, { retry: { retries: 3, minDelayMs: 1, maxDelayMs: 5_000, onRetry } });
  }

  it("waits as long as Retry-After asks, then succeeds", async () => {
    const delays: number[] = [];
    const storj = provider((_error, _attempt, delayMs) => delays.push(delayMs));
    const stats = await storj.stats();
    await storj.close();
    expect(stats).to.include({ objects: 0, bytes: 0 });
    expect(delays).to.have.length(1);
    expect(delays[0]).to.be.at.least(1000);
    expect(requests).to.equal(3); // HEAD bucket refused, HEAD bucket, one listing page
  });
});
