import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import type { PublicClient } from "viem";
import type { RunReport } from "../../pipeline/report/report.js";
import { collectScan } from "../../pipeline/scan/collect-scan.js";
import { mp3, toneWav } from "../support/audio-fixtures.js";
import { buildCorpus, type CorpusCase, type CorpusExpectation } from "../support/fault-corpus.js";
import { assertChainMatches, assertLedgerConsistent, runInProcess } from "../support/fault-run.js";
import { mountTmpfs } from "../support/fault-tmpfs.js";

const run = promisify(execFile);
const CHECKOUT = new URL("../..", import.meta.url).pathname;

/** What `dcmx scan` needs to run; node_modules is hard-linked (a full copy only across file systems). */
const PROGRAM = ["bin", "cli", "pipeline", "ignition", "package.json", "tsconfig.json"];

async function copyProgram(dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  await run("cp", ["-R", ...PROGRAM, dest], { cwd: CHECKOUT });
  await run("chmod", ["-R", "a+rX", ...PROGRAM.map((name) => join(dest, name))]);
  await run("cp", ["-al", "node_modules", dest], { cwd: CHECKOUT }).catch(async () => {
    await rm(join(dest, "node_modules"), { recursive: true, force: true });
    await run("cp", ["-a", "node_modules", dest], { cwd: CHECKOUT });
  });
  await chmod(dest, 0o755);
  return dest;
}

async function hasCommand(name: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${name}`]).then(
    () => true,
    () => false,
  );
}

/**
 * The bad-input corpus through the real pipeline (embedded S3 + IPFS, Hardhat's in-process chain): each
 * hostile input ends as a minted track or a problem naming its file and field, the rest of the library is
 * minted, and the journal agrees with the chain.
 */
describe("reliability: hostile inputs", function () {
  this.timeout(240_000);
  let dir: string;
  let connection: NetworkConnection;
  let client: PublicClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-rel-inputs-"));
    connection = await network.create();
    client = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("the corpus in one library", () => {
    let cases: CorpusCase[];
    let report: RunReport;
    const workDir = () => join(dir, "corpus", "work");

    before(async () => {
      cases = await buildCorpus(join(dir, "corpus"));
      ({ report } = await runInProcess(connection, {
        DCMX_LIBRARY: join(dir, "corpus", "library"),
        DCMX_WORKDIR: workDir(),
      }));
    });

    it("has at least 30 cases", () => {
      expect(cases.length).to.be.at.least(30);
    });

    it("settles every case as expected, naming the file and field of each problem", () => {
      const wrong = cases.flatMap(({ name, expect: want }) => {
        const verdict = judge(report, want);
        return verdict === undefined ? [] : [`${name}: ${verdict}`];
      });
      expect(wrong, wrong.join("\n")).to.deep.equal([]);
    });

    it("mints every good track exactly once and nothing else", async () => {
      const good = cases.filter((c) => c.expect.outcome === "minted").length;
      expect(report.totals.successful).to.equal(good);
      await assertChainMatches(client, report);
    });

    it("leaves the journal consistent with the report and the chain", async () => {
      await assertLedgerConsistent(workDir(), report);
    });

    it("lets no metadata.json key pollute Object.prototype", () => {
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.prototype).to.not.have.property("artist");
    });

    it("re-runs without a transaction, reporting the same problems", async () => {
      const again = await runInProcess(connection, {
        DCMX_LIBRARY: join(dir, "corpus", "library"),
        DCMX_WORKDIR: workDir(),
      });
      expect(again.report.totals.mintTransactions).to.equal(0);
      expect(again.report.totals.uploadedBytes).to.equal(0);
      expect(again.report.skipped).to.deep.equal(report.skipped);
      await assertLedgerConsistent(workDir(), again.report);
    });
  });

  describe("a broken metadata.json as a whole", () => {
    for (const [name, content] of [
      ["invalid JSON", '{"song": {"title": "unterminated"'],
      ["an array instead of an object", '[{"title": "x"}]'],
    ] as const) {
      it(`${name}: names metadata.json and still mints the tracks from their tags`, async () => {
        const root = join(dir, name.replace(/\W+/g, "-"));
        await oneTrackLibrary(join(root, "library"), 2000);
        await writeFile(join(root, "library", "metadata.json"), content);
        const { report } = await runInProcess(connection, {
          DCMX_LIBRARY: join(root, "library"),
          DCMX_WORKDIR: join(root, "work"),
        });
        expect(report.tracks.map((t) => t.status)).to.deep.equal(["minted"]);
        const problem = report.skipped.find((s) => s.file === "metadata.json");
        expect(problem?.reason).to.match(/^metadata\.json: \(file\): .+ — /);
        await assertLedgerConsistent(join(root, "work"), report);
      });
    }
  });

  describe("read-only filesystems", () => {
    it("mints a library that sits on a read-only filesystem", async function () {
      const root = join(dir, "ro-library");
      await oneTrackLibrary(join(root, "src"), 2100);
      const mount = await mountTmpfs(join(root, "library"), { sizeMb: 8, readOnlyCopyOf: join(root, "src") });
      if (!mount) return this.skip();
      try {
        const { report } = await runInProcess(connection, {
          DCMX_LIBRARY: mount.path,
          DCMX_WORKDIR: join(root, "work"),
        });
        expect(report.tracks.map((t) => t.status)).to.deep.equal(["minted"]);
      } finally {
        await mount.unmount();
      }
    });

    it("refuses a read-only work directory with an error naming it, before any upload", async function () {
      const root = join(dir, "ro-work");
      await oneTrackLibrary(join(root, "library"), 2200);
      await mkdir(join(root, "empty"), { recursive: true });
      const mount = await mountTmpfs(join(root, "work"), { sizeMb: 1, readOnlyCopyOf: join(root, "empty") });
      if (!mount) return this.skip();
      try {
        const error = await runInProcess(connection, {
          DCMX_LIBRARY: join(root, "library"),
          DCMX_WORKDIR: mount.path,
        }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error?.message).to.include(mount.path);
        expect(error?.message).to.match(/DCMX_WORKDIR: the work directory is on a read-only file system — /);
      } finally {
        await mount.unmount();
      }
    });
  });

  it("names a file the user running the pipeline may not read, and still takes the rest", async function () {
    const asRoot = process.getuid?.() === 0;
    // Root reads anything, so the scan runs as nobody; without setpriv there is no way to drop root here.
    if (asRoot && !(await hasCommand("setpriv"))) {
      console.log(
        "      skipped: running as root and setpriv is missing, so the scan cannot run as another user",
      );
      return this.skip();
    }
    // Nobody must reach the library and the program: both go to a world-readable temporary folder, so the
    // test passes wherever the checkout lives (a clone under a 0700 home included).
    const root = await mkdtemp(join(tmpdir(), "dcmx-unreadable-"));
    try {
      await oneTrackLibrary(join(root, "library"), 2400);
      await writeFile(join(root, "library", "locked.mp3"), "bytes nobody may read");
      await chmod(join(root, "library", "locked.mp3"), 0o000);
      await chmod(join(root, "library", "song.mp3"), 0o644);
      const program = asRoot ? await copyProgram(join(root, "program")) : CHECKOUT;
      for (const path of [root, join(root, "library")]) await chmod(path, 0o755);
      const asNobody = asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
      const node = join(program, "node_modules", ".bin", "node");
      const [command, ...args] = [...asNobody, node, "bin/dcmx.js", "scan", join(root, "library"), "--json"];
      const { stdout, stderr } = await run(command!, args, {
        cwd: program,
        env: { ...process.env, HOME: root },
      }).catch((error: { stdout: string; stderr: string }) => error);
      const out = JSON.parse(stdout || `{"stderr": ${JSON.stringify(stderr)}}`) as {
        tracks: Array<{ file: string }>;
        problems: Array<{ file: string; message: string }>;
      };
      expect(
        out.tracks?.map((t) => t.file),
        stderr,
      ).to.deep.equal(["song.mp3"]);
      expect(out.problems.find((p) => p.file === "locked.mp3")?.message).to.match(
        /^locked\.mp3: cannot read: permission denied — /,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("scans a library of 10,000 tiny files in bounded memory, naming each one it skips", async () => {
    const root = join(dir, "tiny", "library");
    await oneTrackLibrary(root, 2300);
    for (let d = 0; d < 100; d++) {
      await mkdir(join(root, `d${d}`));
      await Promise.all(
        Array.from({ length: 100 }, (_, f) =>
          writeFile(join(root, `d${d}`, `f${f}.dat`), `tiny ${d} ${f}\n`),
        ),
      );
    }
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const scan = await collectScan(root, { extractDir: join(dir, "tiny", "artwork") });
    const seconds = (performance.now() - started) / 1000;
    const grewMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(
      `      10,000 tiny files: scanned in ${seconds.toFixed(1)} s, RSS grew ${grewMb.toFixed(0)} MB`,
    );
    expect(scan.tracks).to.have.length(1);
    expect(scan.problems.filter((p) => p.code === "UNSUPPORTED")).to.have.length(10_000);
    expect(scan.problems.find((p) => p.file === "d42/f7.dat")?.message).to.include("d42/f7.dat");
    expect(grewMb).to.be.below(300);
  });
});

/** Why `report` does not settle a case as expected, or undefined when it does. */
function judge(report: RunReport, want: CorpusExpectation): string | undefined {
  const tracks = report.tracks.filter((t) => t.file === want.file);
  const statuses = JSON.stringify(tracks.map((t) => [t.status, t.duplicateOf, t.error]));
  if (want.outcome === "minted")
    return tracks.length === 1 && tracks[0]!.status === "minted"
      ? undefined
      : `expected minted, got ${statuses}`;
  if (want.outcome === "duplicate") {
    const ok = tracks.length === 1 && tracks[0]!.status === "duplicate" && tracks[0]!.duplicateOf === want.of;
    return ok ? undefined : `expected a duplicate of ${want.of}, got ${statuses}`;
  }
  if (tracks.some((t) => t.status === "minted")) return `minted, but expected a problem`;
  // A metadata.json entry's track waits for the entry to be fixed: never minted with half-applied metadata.
  const stem = want.file === "metadata.json" ? want.field!.split(".")[0]! : undefined;
  if (report.tracks.some((t) => t.file === `${stem}.mp3` && t.status === "minted"))
    return `${stem}.mp3 was minted`;
  const reasons = [
    ...report.skipped.filter((s) => s.file === want.file).map((s) => s.reason),
    ...tracks.map((t) => t.error ?? ""),
  ];
  const clear = reasons.some(
    (r) =>
      r.includes(want.file) &&
      (want.field === undefined || r.includes(want.field)) &&
      (want.mentions === undefined || r.includes(want.mentions)),
  );
  return clear
    ? undefined
    : `expected a problem naming ${want.file} ${want.field ?? ""}, got ${JSON.stringify(reasons)}`;
}

/** A library holding one tagged MP3 whose bytes are its own (`frequency` keeps libraries apart). */
async function oneTrackLibrary(library: string, frequency: number): Promise<void> {
  await mkdir(library, { recursive: true });
  const wav = join(library, "..", `tone-${frequency}.wav`);
  await toneWav(wav, 1, frequency);
  await mp3(wav, join(library, "song.mp3"), { title: "Song", artist: "Corpus Artist" });
}
