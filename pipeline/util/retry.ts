import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, DcmxError } from "../errors.js";

export interface RetryOptions {
  /** Attempts after the first one. */
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Decides whether an error is transient; defaults to `isTransient`. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log or to count retries. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Network-level failures by error code, all transient: `no connection` when none could be made (the host
 * is down, refuses, or has no address), `broken` when one was made and then failed.
 */
const NETWORK_FAILURES: Record<string, "no connection" | "broken"> = {
  ECONNREFUSED: "no connection",
  EHOSTUNREACH: "no connection",
  ENETUNREACH: "no connection",
  EAI_AGAIN: "no connection",
  ENOTFOUND: "no connection",
  UND_ERR_CONNECT_TIMEOUT: "no connection",
  ECONNRESET: "broken",
  EPIPE: "broken",
  ETIMEDOUT: "broken",
  UND_ERR_SOCKET: "broken",
  UND_ERR_HEADERS_TIMEOUT: "broken",
  UND_ERR_BODY_TIMEOUT: "broken",
};

/** The network failure on the error or its causes, if any. */
function networkFailure(error: unknown): (typeof NETWORK_FAILURES)[string] | "timeout" | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && Object.hasOwn(NETWORK_FAILURES, code)) return NETWORK_FAILURES[code];
    if (e.name === "TimeoutError") return "timeout";
  }
  return undefined;
}

/**
 * Our own errors say whether they are transient; anything else is transient only when it is a
 * network-level failure (connection refused or reset, timeouts), found on the error or its causes.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof DcmxError) return error.retryable;
  return networkFailure(error) !== undefined;
}

/** Whether no connection could be made at all (refused, no route, no address): the service is not there. */
export function isUnreachable(error: unknown): boolean {
  return networkFailure(error) === "no connection";
}

/** A Retry-After header, delta-seconds or an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter, never shorter than a provider's Retry-After. */
export function backoffDelay(
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  error?: unknown,
): number {
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
  const jittered = minDelayMs + Math.random() * (ceiling - minDelayMs);
  const asked = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof asked === "number" ? Math.max(jittered, Math.min(asked, maxDelayMs)) : jittered;
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { retries = 4, minDelayMs = 250, maxDelayMs = 15_000, signal, isRetryable = isTransient } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new AbortedError();
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt > retries || !isRetryable(error) || signal?.aborted) throw error;
      const delay = backoffDelay(attempt, minDelayMs, maxDelayMs, error);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, undefined, { signal }).catch(() => {
        throw new AbortedError();
      });
    }
  }
}
