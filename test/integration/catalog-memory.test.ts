import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import { makeWavLibrary } from "../../bench/wav-library.js";
import type { MintItem } from "../../pipeline/chain/tracks-chain.js";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
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

  before(async () => {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
    dir = await mkdtemp(join(tmpdir(), "dcmx-catalog-memory-"));
    for (const n of [SMALL, LARGE]) {
      libraries[n] = join(dir, `library-${n}`);
      await makeWavLibrary(libraries[n], n, TRACK_BYTES, { spread: TRACK_BYTES, concurrency: 8 });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

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
});

async function librarySize(directory: string): Promise<number> {
  const sizes = await Promise.all(
    (await readdir(directory)).map(async (name) => (await stat(join(directory, name))).size),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
