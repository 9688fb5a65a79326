import { z } from "zod";
import { parseEnv } from "../../config/env.js";
import { envHttpUrl, envString } from "../../config/env-values.js";
import { describeError, ProviderError } from "../../errors.js";
import { httpError } from "../../providers/ipfs/http-errors.js";
import { linkedAbort } from "../../util/linked-abort.js";
import { type RetryOptions, withRetry } from "../../util/retry.js";
import { registerSecret } from "../../util/secrets.js";

export const OPENSEA_PROVIDER = "opensea";
export const DEFAULT_OPENSEA_API_URL = "https://api.opensea.io";

export const OpenSeaEnvSchema = z.object({
  /** Sent as X-API-KEY; without it nothing is sent to OpenSea. */
  OPENSEA_API_KEY: envString(),
  OPENSEA_API_URL: envHttpUrl("OpenSea's API"),
});

const KEY_HINT =
  "check OPENSEA_API_KEY in your .env (a key from opensea.io/settings/developer; free-tier keys expire)";

/** A request that gets no answer in this time is retried like a dropped connection. */
const REQUEST_TIMEOUT_MS = 30_000;
/** OpenSea meters keys per minute; waiting out a rate limit may take that long, so the ceiling is above it. */
const DEFAULT_RETRY: RetryOptions = { retries: 6, minDelayMs: 500, maxDelayMs: 65_000 };

/**
 * OpenSea's REST API v2: every call carries the key, answers are validated by the caller's zod schema,
 * rate limits (429, with or without Retry-After) and 5xx are retried with backoff, and refused keys are an
 * AuthError that names OPENSEA_API_KEY but never shows it.
 */
export class OpenSeaClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #retry: RetryOptions;

  constructor(options: { apiKey: string; baseUrl?: string; retry?: RetryOptions }) {
    registerSecret(options.apiKey);
    this.#apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? DEFAULT_OPENSEA_API_URL).replace(/\/+$/, "");
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** The client the environment configures, or undefined when OPENSEA_API_KEY is not set. */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    retry?: RetryOptions,
  ): OpenSeaClient | undefined {
    const e = parseEnv(OpenSeaEnvSchema, env);
    if (e.OPENSEA_API_KEY === undefined) return undefined;
    return new OpenSeaClient({ apiKey: e.OPENSEA_API_KEY, baseUrl: e.OPENSEA_API_URL, retry });
  }

  /**
   * `method path` (path from `/api/v2/…`), with `body` as JSON; the answer parsed by `schema`. An empty
   * body parses as `null`. A 404 is a ProviderError with status 404 for the caller to read as "not there".
   */
  async request<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<z.output<S>> {
    const url = `${this.baseUrl}${path}`;
    const json = await withRetry(() => this.#send(method, url, body, signal), { ...this.#retry, signal });
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new ProviderError(
      "RESPONSE",
      `${method} ${path} answered an unexpected document: ${issue.message}`,
      {
        provider: OPENSEA_PROVIDER,
        field: issue.path.join(".") || "(body)",
        hint: "OpenSea changed its API or OPENSEA_API_URL points at another service",
      },
    );
  }

  /** One request, ended by the caller's signal or after REQUEST_TIMEOUT_MS, whichever comes first. */
  async #send(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const request = linkedAbort(signal);
    const timeout = setTimeout(
      () => request.controller.abort(new DOMException("the request timed out", "TimeoutError")),
      REQUEST_TIMEOUT_MS,
    );
    try {
      return await this.#exchange(method, url, body, request.controller.signal, signal);
    } finally {
      clearTimeout(timeout);
      request.release();
    }
  }

  async #exchange(
    method: string,
    url: string,
    body: unknown,
    requestSignal: AbortSignal,
    signal?: AbortSignal,
  ): Promise<unknown> {
    let answer: Response;
    try {
      answer = await fetch(url, {
        method,
        headers: {
          accept: "application/json",
          "x-api-key": this.#apiKey,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: requestSignal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ProviderError("UNREACHABLE", `${method} ${new URL(url).pathname}: ${describeError(error)}`, {
        provider: OPENSEA_PROVIDER,
        retryable: true,
        field: "OPENSEA_API_URL",
        hint: "check the network and OPENSEA_API_URL",
        cause: error,
      });
    }
    const text = await answer.text();
    if (!answer.ok) {
      throw httpError(
        OPENSEA_PROVIDER,
        answer.status,
        `${method} ${new URL(url).pathname}: ${errorDetail(text)}`,
        {
          retryAfter:
            answer.headers.get("retry-after") ?? resetDelay(answer.headers.get("x-ratelimit-reset")),
          hint: answer.status === 401 || answer.status === 403 ? KEY_HINT : undefined,
        },
      );
    }
    if (text.trim() === "") return null;
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new ProviderError(
        "RESPONSE",
        `${method} ${new URL(url).pathname} answered something that is not JSON`,
        {
          provider: OPENSEA_PROVIDER,
          hint: "OPENSEA_API_URL must point at OpenSea's API",
          cause,
        },
      );
    }
  }
}

/** OpenSea answers errors as `{"errors": [...]}` or `{"detail": "..."}`; anything else is shown cut short. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: unknown; detail?: unknown };
    if (Array.isArray(body.errors)) return body.errors.map(String).join("; ");
    if (typeof body.detail === "string") return body.detail;
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return text.slice(0, 200) || "(no body)";
}

/**
 * Without Retry-After, OpenSea's X-RateLimit-Reset (a Unix time in seconds) says when the window opens
 * again; as delta-seconds it goes through the same Retry-After rule.
 */
function resetDelay(reset: string | null): string | undefined {
  const at = Number(reset);
  if (reset === null || !Number.isFinite(at) || at <= 0) return undefined;
  return String(Math.max(0, Math.ceil(at - Date.now() / 1000)));
}
