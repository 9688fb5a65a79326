import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import pLimit from "p-limit";
import { makeWavLibrary } from "../../bench/wav-library.js";
import type { MintItem } from "../../pipeline/chain/tracks-chain.js";
import { knownObjectBatches, TRACKS_PER_BATCH } from "../../pipeline/commands/migrate/known-objects.js";
import { migrateObjects } from "../../pipeline/commands/migrate/migrate.js";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { addressBytes, metadataCid } from "../../pipeline/content/index.js";
import { AbortedError } from "../../pipeline/errors.js";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import type { JournalRecord } from "../../pipeline/ledger/records.js";
import { type LocalS3, localS3Config, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { S3Provider } from "../../pipeline/providers/s3/provider.js";
import { RunEvents } from "../../pipeline/report/events.js";
import { planRun } from "../../pipeline/run/plan.js";

/** Tiny seeded WAVs: a catalog is bound by per-file work, and generating one takes no encoder. */
const TRACK_BYTES = 2048;
const SMALL = 410;
const LARGE = 4 * SMALL;
/** A mint batch: neither catalog is a whole number of them, so the last batch is estimated after the scan. */
const BATCH = 50;

/** Heap in use after two full collections. */
function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * What commands hold while they go through a label's catalog: measured on a catalog and on one four times
 * its size, the difference is what each keeps per track (issue #18: memory follows the concurrency, not the
 * catalog).
 */
describe("catalog memory", function () {
  this.timeout(120_000);
  let dir: string;
  let gc: () => void;
  const libraries: Record<number, string> = {};
  let s3: LocalS3;
  let destination: S3Provider;

  before(async () => {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
    dir = await mkdtemp(join(tmpdir(), "dcmx-catalog-memory-"));
    for (const n of [SMALL, LARGE]) {
      libraries[n] = join(dir, `library-${n}`);
      await makeWavLibrary(libraries[n], n, TRACK_BYTES, { spread: TRACK_BYTES, concurrency: 8 });
    }
    s3 = await startLocalS3({ directory: join(dir, "s3") });
    destination = new S3Provider(localS3Config(s3, "new-s3"));
  });
  after(async () => {
    await destination?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The plan of a library, and the heap in use when the last mint batch is asked for its gas: the scan is
   * over by then, so what is left is what the plan kept of the tracks. The probe stands in for the simulated
   * chain and records what the plan asks of it (21,000 gas a track).
   */
  async function planOf(n: number) {
    let asked = 0;
    let largest = 0;
    let heap = 0;
    const probe = {
      defaultRecipient: async () => "0x000000000000000000000000000000000000dEaD" as const,
      estimateMintBatchGas: async (_to: string, items: MintItem[]) => {
        asked += items.length;
        largest = Math.max(largest, items.length);
        if (asked === n) heap = heapAfterGc(gc);
        return 21_000n * BigInt(items.length);
      },
    };
    const env = {
      DCMX_LIBRARY: libraries[n],
      DCMX_WORKDIR: join(dir, `work-${n}`),
      DCMX_MINT_BATCH: String(BATCH),
    };
    const started = performance.now();
    const { plan } = await planRun({ config: loadPipelineConfig(env), env, simulation: probe });
    return { plan, heap, largest, seconds: (performance.now() - started) / 1000 };
  }

  it("plans a catalog with running totals: the heap does not grow with the number of tracks", async () => {
    await planOf(SMALL); // modules and caches the first plan loads
    const small = await planOf(SMALL);
    const large = await planOf(LARGE);
    const bytes = await librarySize(libraries[LARGE]!);
    expect(large.plan.tracks).to.equal(LARGE);
    expect(large.plan.problems).to.equal(0);
    expect(large.plan.storage.find((row) => row.role.includes("(audio"))).to.include({
      objects: LARGE,
      bytes,
    });
    expect(large.plan.storage.find((row) => row.role.includes("(metadata"))?.objects).to.equal(LARGE);
    expect(large.plan.mintTransactions).to.equal(Math.ceil(LARGE / BATCH));
    // Every track's gas asked once, in batches no larger than a mint's.
    expect(large.plan.gas?.total).to.equal(21_000n * BigInt(LARGE));
    expect(large.largest).to.equal(BATCH);
    const perTrack = (large.heap - small.heap) / (LARGE - SMALL);
    console.log(
      `      plan: ${SMALL} tracks ${small.seconds.toFixed(1)} s, ${LARGE} tracks ${large.seconds.toFixed(1)} s; heap after GC at the end ${(small.heap / 2 ** 20).toFixed(1)} → ${(large.heap / 2 ** 20).toFixed(1)} MB (${perTrack.toFixed(0)} bytes a track)`,
    );
    // A collection leaves up to ~0.6 MB either way here; a plan that kept the whole scan held 3.6 KB a track
    // (4.2 MB more).
    expect(large.heap - small.heap, `${perTrack.toFixed(0)} bytes kept a track`).to.be.below(1.5 * 2 ** 20);
  });
  /**
   * A work directory whose ledger records the first `count` tracks of `library` as stored on `old-s3`
   * (audio) and `old-ipfs` (metadata documents written beside it): what `dcmx migrate` reads.
   */
  async function catalogLedger(name: string, library: string, count: number): Promise<Ledger> {
    const workDir = join(dir, name);
    await mkdir(join(workDir, "metadata"), { recursive: true });
    const files = (await readdir(library)).sort().slice(0, count);
    const records = await Promise.all(files.map((file) => trackRecords(library, file, workDir)));
    const ledger = await Ledger.open({ workDir });
    // Recorded in one turn: the ledger commits them in a few group transactions, not one per record.
    await Promise.all(records.flat().map((record) => ledger.record(record)));
    return ledger;
  }

  /** Migrates the ledger's objects to `new-s3`; `stopAtFirst` aborts once the first object has ended. */
  async function migrate(ledger: Ledger, library: string, tracksPerBatch: number, stopAtFirst = false) {
    const controller = new AbortController();
    const progress = new RunEvents();
    let heap = 0;
    progress.on((event) => {
      if (!stopAtFirst || heap > 0 || (event.type !== "done" && event.type !== "failed")) return;
      heap = heapAfterGc(gc);
      controller.abort();
    });
    const started = performance.now();
    const summary = await migrateObjects({
      ledger,
      destination,
      providers: [destination],
      batches: knownObjectBatches(ledger, library, tracksPerBatch),
      limit: pLimit(2),
      scratchDir: join(dir, "scratch"),
      progress,
      signal: controller.signal,
    }).catch((error: unknown) => {
      if (stopAtFirst && error instanceof AbortedError) return undefined;
      throw error;
    });
    return { summary, heap, seconds: (performance.now() - started) / 1000 };
  }

  it("migrates a catalog a batch of tracks at a time: the heap does not grow with the number of tracks", async () => {
    const [small, large] = await Promise.all([
      catalogLedger("migrate-small", libraries[SMALL]!, SMALL),
      catalogLedger("migrate-large", libraries[LARGE]!, LARGE),
    ]);
    try {
      await migrate(small, libraries[SMALL]!, TRACKS_PER_BATCH, true); // modules the first migration loads
      const before = await migrate(small, libraries[SMALL]!, TRACKS_PER_BATCH, true);
      const after = await migrate(large, libraries[LARGE]!, TRACKS_PER_BATCH, true);
      const perTrack = (after.heap - before.heap) / (LARGE - SMALL);
      console.log(
        `      migrate: heap after GC at the first object ${(before.heap / 2 ** 20).toFixed(1)} MB for ${SMALL} tracks, ${(after.heap / 2 ** 20).toFixed(1)} MB for ${LARGE} (${perTrack.toFixed(0)} bytes a track)`,
      );
      // Holding the catalog's objects and a queued task each, the migration kept 4.8 KB a track (5.6 MB more).
      expect(after.heap - before.heap, `${perTrack.toFixed(0)} bytes kept a track`).to.be.below(
        1.5 * 2 ** 20,
      );
    } finally {
      await Promise.all([small.close(), large.close()]);
    }
  });

  it("copies every object across batches, records it for its track, and a second run sends nothing", async () => {
    const tracks = 20;
    const ledger = await catalogLedger("migrate-all", libraries[SMALL]!, tracks);
    try {
      const first = await migrate(ledger, libraries[SMALL]!, 3);
      expect(first.summary).to.deep.include({ objects: 2 * tracks, copied: 2 * tracks, present: 0 });
      expect(first.summary).to.deep.include({ failed: 0, pending: 0, sources: { local: 2 * tracks } });
      let recorded = 0;
      for await (const track of ledger.tracks())
        recorded += track.stored.filter((o) => o.provider === "new-s3").length;
      expect(recorded).to.equal(2 * tracks);
      const again = await migrate(ledger, libraries[SMALL]!, 3);
      expect(again.summary).to.deep.include({ objects: 2 * tracks, copied: 0, present: 2 * tracks });
      console.log(
        `      migrate: ${2 * tracks} objects in batches of 3 tracks, ${first.seconds.toFixed(1)} s`,
      );
    } finally {
      await ledger.close();
    }
  });
});

/** A track's records: its audio on `old-s3`, and a metadata document (written to `workDir`) on `old-ipfs`. */
async function trackRecords(library: string, file: string, workDir: string): Promise<JournalRecord[]> {
  // Tiny files: read whole and addressed on this thread, cheaper than a file's two-thread pass.
  const audio = await addressBytes(await readFile(join(library, file)));
  const document = Buffer.from(JSON.stringify({ name: file, sha256: audio.sha256 }));
  const cid = metadataCid(document).toString();
  const path = join(workDir, "metadata", `${cid}.json`);
  await writeFile(path, document);
  const { sha256, size } = audio;
  return [
    { type: "track", sha256, file, size, cid: audio.cid, profile: audio.profile, mimeType: "audio/wav" },
    {
      type: "stored",
      sha256,
      object: {
        provider: "old-s3",
        kind: "audio",
        locator: `audio/${sha256}`,
        sha256,
        cid: audio.cid,
        size,
        reused: false,
      },
    },
    { type: "metadata", sha256, cid, path },
    {
      type: "stored",
      sha256,
      object: {
        provider: "old-ipfs",
        kind: "metadata",
        locator: cid,
        sha256: createHash("sha256").update(document).digest("hex"),
        cid,
        size: document.length,
        reused: false,
      },
    },
  ];
}

async function librarySize(directory: string): Promise<number> {
  const sizes = await Promise.all(
    (await readdir(directory)).map(async (name) => (await stat(join(directory, name))).size),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
