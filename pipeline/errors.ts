import { redact } from "./util/secrets.js";

export interface ErrorContext {
  /** The file the problem is in (a track, metadata.json, an env file…). */
  file?: string;
  /** The field, tag, variable or option that is wrong. */
  field?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Base of every error DCMX Mint raises on purpose. The message always names the file and field when
 * known, ends with a hint, and is redacted of registered secrets before anyone can print it.
 */
export class DcmxError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly field?: string;
  readonly hint?: string;

  constructor(code: string, message: string, context: ErrorContext = {}) {
    const where = [context.file, context.field].filter((part) => part !== undefined).join(": ");
    const text = `${where ? `${where}: ` : ""}${message}${context.hint ? ` — ${context.hint}` : ""}`;
    super(redact(text), context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = context.file;
    this.field = context.field;
    this.hint = context.hint;
  }

  /** Transient errors are worth retrying; everything else fails the track at once. */
  get retryable(): boolean {
    return false;
  }
}

/** The user's input (a track, tags, metadata.json, artwork, a CLI argument) is wrong. */
export class InputError extends DcmxError {}

/** Configuration (environment, .env, options) is missing or malformed. */
export class ConfigError extends DcmxError {}

/** Bytes or a CID differ from what we computed: never retried, never minted. */
export class IntegrityError extends DcmxError {}

export interface ProviderErrorContext extends ErrorContext {
  provider: string;
  /** HTTP status when the provider answered. */
  status?: number;
  retryable?: boolean;
  /** Milliseconds the provider asked us to wait (Retry-After). */
  retryAfterMs?: number;
}

/** A storage provider or chain endpoint failed. */
export class ProviderError extends DcmxError {
  readonly provider: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly #retryable: boolean;

  constructor(code: string, message: string, context: ProviderErrorContext) {
    super(code, `${context.provider}: ${message}`, context);
    this.provider = context.provider;
    this.status = context.status;
    this.retryAfterMs = context.retryAfterMs;
    this.#retryable = context.retryable ?? false;
  }

  override get retryable(): boolean {
    return this.#retryable;
  }
}

/** Credentials were refused: retrying cannot help. */
export class AuthError extends ProviderError {
  constructor(message: string, context: Omit<ProviderErrorContext, "retryable">) {
    super("AUTH", message, { ...context, retryable: false });
  }
}

/**
 * The provider refused because an account or project limit is reached (storage, egress, objects):
 * retrying cannot help until the user raises the limit, so `limit` names which one.
 */
export class QuotaError extends ProviderError {
  readonly limit: string;

  constructor(message: string, context: Omit<ProviderErrorContext, "retryable"> & { limit: string }) {
    super("QUOTA", message, { ...context, retryable: false });
    this.limit = context.limit;
  }
}

/** The user (Ctrl-C) or the orchestrator cancelled the work. */
export class AbortedError extends DcmxError {
  constructor(message = "cancelled") {
    super("ABORTED", message);
  }
}

/**
 * A message safe to print for any thrown value. A library's error that only wraps its cause ("fetch failed")
 * gets the cause's message too: "connect ECONNREFUSED 127.0.0.1:5001" is what says what went wrong.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return redact(String(error));
  const { cause } = error;
  if (error instanceof DcmxError || !(cause instanceof Error) || error.message.includes(cause.message))
    return redact(error.message);
  return redact(`${error.message} (${cause.message})`);
}
