/**
 * The failures real services answer with, scripted per operation so a test says exactly what the client
 * meets: the next `upload` is a 429 without Retry-After, the one after a 503 cut mid-body, and so on.
 * Each stand-in renders a fault in its own service's dialect (status, headers, error body).
 */
export type Fault =
  /**
   * 429; `retryAfter` in seconds, or no Retry-After header at all. `status` 503 is the S3 dialect's
   * SlowDown, how S3 services (Filebase among them) say it.
   */
  | { kind: "rate-limit"; retryAfter?: number; status?: 429 | 503 }
  /** A 5xx after part of the request body was read (an upload cut off midway). */
  | { kind: "server-error"; status?: number }
  /** The account's storage or plan is used up: permanent until the user acts. */
  | { kind: "quota" }
  /** The credentials are refused. */
  | { kind: "auth" }
  /** The service reports a CID other than the one it stored (a different DAG). */
  | { kind: "wrong-cid" }
  /** The gateway serves bytes that are not the content (one byte flipped). */
  | { kind: "tamper" };

export class FaultPlan {
  readonly #queued = new Map<string, Fault[]>();
  readonly #always = new Map<string, Fault>();
  /** Every fault served, `operation:kind`, in order: what the client actually met. */
  readonly served: string[] = [];

  /** The next calls of `operation` meet these faults, one each, in order. */
  next(operation: string, ...faults: Fault[]): this {
    this.#queued.set(operation, [...(this.#queued.get(operation) ?? []), ...faults]);
    return this;
  }

  /** Every call of `operation` meets `fault` until `clear`. */
  always(operation: string, fault: Fault): this {
    this.#always.set(operation, fault);
    return this;
  }

  clear(): void {
    this.#queued.clear();
    this.#always.clear();
  }

  /** The fault this call of `operation` meets, if any. */
  take(operation: string): Fault | undefined {
    const fault = this.#queued.get(operation)?.shift() ?? this.#always.get(operation);
    if (fault !== undefined) this.served.push(`${operation}:${fault.kind}`);
    return fault;
  }
}
