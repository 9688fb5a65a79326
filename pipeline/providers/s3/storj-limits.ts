/**
 * The error codes Storj's S3 gateway answers when a project limit stops a request, with what each means
 * and how to raise it. Codes: storj/gateway-st `miniogw/gateway.go` (also the hosted gateway-mt); the
 * Pro defaults: storj/docs `learn/concepts/limits/page.md` (2026-07-16). See docs/storage/storj.md.
 */
export interface StorjLimit {
  /** Short name of the limit, kept on the error (`QuotaError.limit`). */
  limit: string;
  /** What was hit, for the message. */
  what: string;
  /** How to raise it, for the hint. */
  raise: string;
  /** Throttling passes on its own; a full quota does not. */
  retryable: boolean;
}

const RAISE =
  "in the Storj console open the project's limits and request a limit increase, or upgrade the account to Pro";

export const STORJ_LIMITS: Readonly<Record<string, StorjLimit>> = {
  StorageLimitExceeded: {
    limit: "storage",
    what: "the project's storage limit is reached (Pro accounts start at 25 TB)",
    raise: `${RAISE}; or delete objects the project no longer needs`,
    retryable: false,
  },
  BandwidthLimitExceeded: {
    limit: "egress",
    what: "the project's egress (download bandwidth) limit is reached (Pro accounts start at 100 TB)",
    raise: `${RAISE}; downloads work again when the limit is raised`,
    retryable: false,
  },
  SegmentsLimitExceeded: {
    limit: "segments",
    what: "the project's segment limit is reached (Pro accounts start at 100,000,000 segments; each object takes at least one, each multipart part one more)",
    raise: `${RAISE}; a larger STORJ_PART_SIZE_MB makes fewer segments per file`,
    retryable: false,
  },
  SlowDown: {
    limit: "request rate",
    what: "requests are arriving faster than the project allows (Pro: 100 requests/s, 1 write/s to the same key)",
    raise:
      "retried with backoff; if it persists, run fewer uploads at once or request a higher rate limit in the Storj console",
    retryable: true,
  },
};
