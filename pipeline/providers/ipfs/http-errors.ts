import { AuthError, ProviderError } from "../../errors.js";
import { parseRetryAfter } from "../../util/retry.js";

/**
 * The typed error for a provider's HTTP answer: refused credentials are `AuthError` (retrying cannot
 * help), rate limits and server errors are retryable, anything else is a permanent failure.
 */
export function httpError(
  provider: string,
  status: number,
  detail: string,
  options: { retryAfter?: string | null; hint?: string; cause?: unknown } = {},
): ProviderError {
  if (status === 401 || status === 403) {
    return new AuthError(`credentials refused (HTTP ${status}): ${detail}`, {
      provider,
      status,
      hint: options.hint ?? "check the token or key for this provider in your .env",
      cause: options.cause,
    });
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  return new ProviderError("HTTP", `HTTP ${status}: ${detail}`, {
    provider,
    status,
    retryable,
    retryAfterMs: parseRetryAfter(options.retryAfter),
    hint: options.hint,
    cause: options.cause,
  });
}

/** Client libraries throw their own errors; this keeps their HTTP status and turns them into ours. */
export function fromClientError(provider: string, error: unknown, hint?: string): unknown {
  if (error instanceof ProviderError) return error;
  const e = error as { status?: unknown; response?: { status?: unknown; headers?: Headers } } | undefined;
  const status = typeof e?.status === "number" ? e.status : e?.response?.status;
  if (typeof status !== "number") return error;
  const detail = error instanceof Error ? error.message : String(error);
  return httpError(provider, status, detail, {
    retryAfter: e?.response?.headers?.get?.("retry-after"),
    hint,
    cause: error,
  });
}
