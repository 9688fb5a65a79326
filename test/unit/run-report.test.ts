import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { writeRunReport } from "../../pipeline/run/build-report.js";
import type { StorageSet } from "../../pipeline/storage/storage-set.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");

describe("run report, written from the ledger", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-report-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes every outcome of the run once, in library order, across pages, with totals that add up", async () => {
    const ledger = await Ledger.open({ workDir: dir });
    const run = "host:/work";
    // More outcomes than one page of the ledger's stream (500), one duplicate, one failure, one pending.
    const count = 1203;
    await ledger.record({ type: "run-started", run });
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        await ledger.record({
          type: "track",
          sha256: sha(i),
          file: `t${i}.mp3`,
          size: 100 + i,
          cid: `bafk${i}`,
          profile: "unixfs-v1-2025",
          mimeType: "audio/mpeg",
        });
        const status = i === 7 ? "failed" : i === 8 ? "pending" : "stored";
        await ledger.record({
          type: "outcome",
          run,
          order: count - i,
          file: `t${i}.mp3`,
          sha256: sha(i),
          status,
          error: status === "stored" ? undefined : `why ${i}`,
          degraded: i === 9 ? ["audio on kubo: down"] : [],
        });
      }),
    );
    await ledger.record({
      type: "outcome",
      run,
      order: 0,
      file: "copy.mp3",
      sha256: sha(5),
      status: "duplicate",
      degraded: [],
      duplicateOf: "t5.mp3",
    });
    // What another run of another work directory left is not this run's.
    await ledger.record({
      type: "outcome",
      run: "other",
      order: 1,
      file: "x",
      sha256: sha(1),
      status: "stored",
      degraded: [],
    });
    const storage = { storj: { name: "local-s3", bucket: "b" }, ipfs: [] } as unknown as StorageSet;
    const path = join(dir, "report.json");
    const summary = await writeRunReport({
      path,
      run,
      scan: { root: "/lib", problems: [] },
      ledger,
      storage,
      startedAt: new Date(),
      uploadedBytes: 42,
      previewsEncoded: 0,
      mintTransactions: 0,
    });
    await ledger.close();

    const report = RunReportSchema.parse(JSON.parse(await readFile(path, "utf8")));
    expect(report.tracks).to.have.length(count + 1);
    expect(report.tracks[0]).to.include({
      file: "copy.mp3",
      status: "duplicate",
      duplicateOf: "t5.mp3",
      size: 105,
    });
    expect(report.tracks[1]!.file).to.equal(`t${count - 1}.mp3`);
    expect(report.tracks.at(-1)!.file).to.equal("t0.mp3");
    expect(report.tracks.find((t) => t.file === "t7.mp3")).to.include({ status: "failed", error: "why 7" });
    expect(report.tracks.find((t) => t.file === "t8.mp3")).to.include({ status: "pending", error: "why 8" });
    expect(report.totals).to.deep.equal(summary.totals);
    expect(summary.totals).to.include({
      tracks: count,
      successful: count - 2,
      failed: 1,
      pending: 1,
      duplicates: 1,
      degraded: 1,
      uploadedBytes: 42,
    });
    expect(summary.totals.bytes).to.equal(
      Array.from({ length: count }, (_, i) => 100 + i).reduce((a, b) => a + b),
    );
  });
});
