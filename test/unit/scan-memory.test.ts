import { copyFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect } from "chai";
import pLimit from "p-limit";
import { scanLibrary } from "../../pipeline/scan/scan-library.js";
import { toneWav } from "../support/audio-fixtures.js";

/**
 * What a run's scan holds for the audio files it has not reached yet: a label's catalog of 100k tracks is
 * scanned while the first tracks upload, so this is paid once per track for the whole run.
 */
describe("library scan memory", () => {
  let dir: string;
  let tone: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-scan-memory-"));
    tone = join(dir, "tone.wav");
    await toneWav(tone, 0.01);
  });

  async function library(name: string, files: number): Promise<string> {
    const root = join(dir, name);
    await toneWav(join(root, "first.wav"), 0.01);
    const limit = pLimit(16);
    await Promise.all(
      Array.from({ length: files - 1 }, (_, i) => limit(() => copyFile(tone, join(root, `${i}.wav`)))),
    );
    return root;
  }

  /**
   * Heap in use after a full collection while the scan waits to admit its second file, once the first is
   * described (so whatever describing a track caches about its folder is counted).
   */
  async function heapWhileWaiting(root: string, gc: () => void): Promise<number> {
    const controller = new AbortController();
    let resume!: () => void;
    const waiting = new Promise<void>((resolve) => (resume = resolve));
    let admitted = 0;
    let reached!: () => void;
    let described!: () => void;
    const holding = Promise.all([
      new Promise<void>((resolve) => (reached = resolve)),
      new Promise<void>((resolve) => (described = resolve)),
    ]);
    const scan = scanLibrary(root, {
      extractDir: join(dir, "art"),
      signal: controller.signal,
      onAudioFile: () => described(),
      admit: async () => {
        if (++admitted === 2) {
          reached();
          await waiting;
        }
        return () => {};
      },
    });
    await holding;
    gc();
    gc();
    const used = process.memoryUsage().heapUsed;
    controller.abort();
    resume();
    await scan;
    return used;
  }

  it("holds under a kilobyte for each audio file it has not hashed yet", async function () {
    this.timeout(120_000);
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const small = await library("small", 500);
    const large = await library("large", 4500);
    await heapWhileWaiting(small, gc); // modules and caches the first scan loads
    const perFile = ((await heapWhileWaiting(large, gc)) - (await heapWhileWaiting(small, gc))) / 4000;
    // Each file's name and identity must be kept to hash it later: packed, ~60 bytes (as LibraryFile objects
    // they took ~300); a queued task per file was not.
    expect(perFile, `${perFile.toFixed(0)} bytes a file`).to.be.below(150);
  });
});
