import { expect } from "chai";
import { AbortedError, InputError, ProviderError } from "../../pipeline/errors.js";
import { backoffDelay, isTransient, isUnreachable, withRetry } from "../../pipeline/util/retry.js";

const transient = () =>
  new ProviderError("HTTP", "503 SlowDown", { provider: "test", status: 503, retryable: true });

describe("withRetry", () => {
  it("retries transient errors until the operation succeeds", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw transient();
        return "ok";
      },
      { minDelayMs: 1, maxDelayMs: 2 },
    );
    expect(result).to.equal("ok");
    expect(calls).to.equal(3);
  });

  it("fails at once on a permanent error", async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw new InputError("BAD", "bad tag", { file: "a.mp3", field: "title" });
      },
      { minDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InputError);
    expect(calls).to.equal(1);
  });

  it("gives up after the configured retries and rethrows the last error", async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw transient();
      },
      { retries: 2, minDelayMs: 1, maxDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError);
    expect(calls).to.equal(3);
  });

  it("stops waiting when aborted", async () => {
    const controller = new AbortController();
    const pending = withRetry(
      async () => {
        throw transient();
      },
      { minDelayMs: 10_000, maxDelayMs: 10_000, signal: controller.signal },
    ).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 10);
    expect(await pending).to.be.instanceOf(AbortedError);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially, stays within bounds and honours Retry-After", () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const delay = backoffDelay(attempt, 100, 5_000);
      expect(delay)
        .to.be.at.least(100)
        .and.at.most(Math.min(5_000, 100 * 2 ** (attempt - 1)));
    }
    const asked = new ProviderError("HTTP", "429", { provider: "p", retryable: true, retryAfterMs: 3_000 });
    expect(backoffDelay(1, 100, 5_000, asked)).to.be.at.least(3_000);
  });
});

describe("isTransient", () => {
  it("recognises network failures through error causes", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(isTransient(new Error("fetch failed", { cause: reset }))).to.equal(true);
    expect(isTransient(new Error("nope"))).to.equal(false);
  });

  it("tells a service that is not there (no connection made) from a connection that broke", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5001"), { code: "ECONNREFUSED" });
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(isUnreachable(new Error("fetch failed", { cause: refused }))).to.equal(true);
    expect(isUnreachable(new ProviderError("HTTP", "x", { provider: "p", cause: refused }))).to.equal(true);
    expect(isUnreachable(new Error("fetch failed", { cause: reset }))).to.equal(false);
    expect(isTransient(new Error("fetch failed", { cause: reset }))).to.equal(true);
  });
});
