import { createHash } from "node:crypto";
import { expect } from "chai";
import { startOffThreadSha256 } from "../../pipeline/content/sha256-worker.js";
import { seededBytes } from "../support/seeded-bytes.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Copies `bytes` into shared memory, as the file reader's buffers are. */
function shared(bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  view.set(bytes);
  return view;
}

describe("whole-file SHA-256 on the worker thread", () => {
  it("keeps interleaved jobs apart and hashes every piece in order", async () => {
    const a = await seededBytes("worker-a", 3 * 65_536 + 5);
    const b = await seededBytes("worker-b", 65_536);
    const jobA = startOffThreadSha256();
    const jobB = startOffThreadSha256();
    const pieces = [0, 65_536, 131_072, 196_608].map((start) => shared(a.subarray(start, start + 65_536)));
    await Promise.all([
      jobA.update(pieces[0]!),
      jobB.update(shared(b)),
      jobA.update(pieces[1]!),
      jobA.update(pieces[2]!),
      jobA.update(pieces[3]!),
    ]);
    expect(await jobB.digest()).to.equal(sha256(b));
    expect(await jobA.digest()).to.equal(sha256(a));
  });

  it("gives the empty digest for no pieces, and refuses updates once a job has ended", async () => {
    const empty = startOffThreadSha256();
    expect(await empty.digest()).to.equal(sha256(new Uint8Array(0)));
    const error = await empty.update(shared(new Uint8Array(1))).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
  });

  it("drops a cancelled job without disturbing the next one", async () => {
    const bytes = await seededBytes("worker-cancel", 1000);
    const cancelled = startOffThreadSha256();
    const pending = cancelled.update(shared(bytes));
    cancelled.cancel();
    await pending;
    const next = startOffThreadSha256();
    await next.update(shared(bytes));
    expect(await next.digest()).to.equal(sha256(bytes));
  });
});
