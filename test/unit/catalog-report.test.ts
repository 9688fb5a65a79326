import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { type RunReport, readReport, type TrackReport } from "../../pipeline/report/report.js";
import { writeCatalogReport } from "../../pipeline/workers/catalog-report.js";
import { tempDir } from "../support/ipfs-fixtures.js";

const row = (file: string): TrackReport => ({
  file,
  size: 10,
  sha256: file.padEnd(64, "0"),
  cid: "bafy",
  mimeType: "audio/wav",
  preview: null,
  artworkCid: null,
  metadataCid: null,
  tokenId: "1",
  txHash: "0x1",
  storj: null,
  ipfsProviders: [],
  status: "minted",
  duplicateOf: null,
  error: null,
  degraded: [],
});

/** A worker's report of a two-track catalog, with what that worker itself uploaded and sent. */
const workerReport = (startedAt: string, finishedAt: string, own: number): RunReport => ({
  version: 1,
  library: "/library",
  startedAt,
  finishedAt,
  chain: { chainId: 31337, contract: "0xabc", network: "localhost" },
  tracks: [row("a.wav"), row("b.wav")],
  skipped: [],
  totals: {
    tracks: 2,
    successful: 2,
    failed: 0,
    pending: 0,
    duplicates: 0,
    degraded: 0,
    bytes: 20,
    uploadedBytes: own,
    previewsEncoded: 0,
    mintTransactions: own / 10,
    durationMs: 1,
  },
});

describe("mint-library --workers: the run's report from its workers' reports", () => {
  it("lists the catalog once, sums what each worker did, and ignores a report an earlier run left", async () => {
    const dir = await tempDir();
    try {
      const startedAt = new Date("2026-12-01T06:00:00Z");
      const reports = ["worker-1", "worker-2", "worker-3"].map((w) => join(dir.path, w, "report.json"));
      const write = async (path: string, report: RunReport) => {
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, JSON.stringify(report));
      };
      await write(reports[0]!, workerReport("2026-12-01T06:00:01Z", "2026-12-01T06:00:09Z", 10));
      await write(reports[1]!, workerReport("2026-12-01T06:00:02Z", "2026-12-01T06:00:05Z", 30));
      // Worker 3 stopped before writing one this run: its report is yesterday's.
      await write(reports[2]!, workerReport("2026-11-30T06:00:00Z", "2026-11-30T06:00:05Z", 500));
      const path = join(dir.path, "out", "report.json");

      const summary = await writeCatalogReport({ path, reports, startedAt });

      const report = await readReport(path);
      expect(report.tracks.map((t) => t.file)).to.deep.equal(["a.wav", "b.wav"]);
      expect(report.totals).to.include({ tracks: 2, uploadedBytes: 40, mintTransactions: 4 });
      expect(report.startedAt).to.equal(startedAt.toISOString());
      expect(summary?.totals).to.deep.equal(report.totals);
      expect(
        await writeCatalogReport({ path: join(dir.path, "none.json"), reports: [reports[2]!], startedAt }),
      ).to.equal(undefined);
    } finally {
      await dir.remove();
    }
  });
});
