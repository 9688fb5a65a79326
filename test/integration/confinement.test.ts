import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import type { Problem } from "../../pipeline/library/problems.js";
import { mp3, solidImage, toneWav } from "../support/audio-fixtures.js";

const run = promisify(execFile);
const NODE = new URL("../../node_modules/.bin/node", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * No path an input names may lead out of the library, the metadata file's folder or --artwork-dir:
 * `dcmx scan` runs under strace, which lists every file the process opens, on a library whose
 * metadata.json climbs out with ../, names an absolute path and a link to outside, and whose cover and
 * --artwork-dir images are links to outside. Each track fails (or, for a guessed cover, warns) naming
 * the entry and the resolved path, and not one file outside is opened.
 */
describe("confinement of every path an input names", function () {
  this.timeout(120_000);
  let dir: string;
  let outside: string;
  let library: string;
  let artDir: string;
  let problems: Problem[];
  let tracks: Array<{ file: string; metadata: { image?: string } }>;
  let opened: string[] | undefined;

  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), "dcmx-confine-")));
    outside = join(dir, "outside");
    library = join(dir, "music", "library");
    artDir = join(dir, "artwork");
    for (const d of [outside, join(library, "art"), join(library, "covered"), artDir])
      await mkdir(d, { recursive: true });
    for (const name of ["secret.png", "abs.png", "linked.png", "cover.png", "e.png"])
      await solidImage(join(outside, name), 32, 32);
    await solidImage(join(library, "art", "ok.png"), 32, 32);
    const wav = join(dir, "tone.wav");
    for (const [i, track] of ["a", "b", "c", "ok", "covered/d", "e"].entries()) {
      await toneWav(wav, 1, 500 + 31 * i);
      await mp3(wav, join(library, `${track}.mp3`), { title: track, artist: "Confined" });
    }
    await symlink(join(outside, "linked.png"), join(library, "art", "link.png"));
    await symlink(join(outside, "cover.png"), join(library, "covered", "cover.png"));
    await symlink(join(outside, "e.png"), join(artDir, "e.png"));
    await writeFile(
      join(library, "metadata.json"),
      JSON.stringify({
        a: { artwork: "../../outside/secret.png" },
        b: { artwork: join(outside, "abs.png") },
        c: { artwork: "art/link.png" },
        ok: { artwork: "art/ok.png" },
      }),
    );

    const args = ["bin/dcmx.js", "scan", library, "--artwork-dir", artDir, "--json"];
    const extract = ["--extract-dir", join(dir, "extracted")];
    const strace = await run("strace", ["-V"]).then(
      () => true,
      () => false,
    );
    const log = join(dir, "opens.log");
    const [command, ...argv] = strace
      ? ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", log, NODE, ...args, ...extract]
      : [NODE, ...args, ...extract];
    const { stdout } = await run(command!, argv, { cwd: ROOT, maxBuffer: 64 * 2 ** 20 }).catch(
      (error: { stdout: string }) => error,
    );
    ({ problems, tracks } = JSON.parse(stdout));
    if (strace) {
      opened = (await readFile(log, "utf8"))
        .split("\n")
        .flatMap((line) => /\bopen(?:at2?)?\((?:[A-Z_0-9]+, )?"([^"]*)"/.exec(line)?.[1] ?? []);
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const problemOf = (file: string) => problems.find((p) => p.file === file && p.code === "OUTSIDE_LIBRARY");

  it("fails a track whose metadata.json artwork leads out, naming the entry and the resolved path", () => {
    for (const [track, given, resolved] of [
      ["a.mp3", "../../outside/secret.png", "secret.png"],
      ["b.mp3", join(outside, "abs.png"), "abs.png"],
      ["c.mp3", "art/link.png", "linked.png"],
    ]) {
      const problem = problemOf(track!);
      expect(problem?.severity, track).to.equal("error");
      expect(problem?.message).to.equal(
        `${track}: artwork: metadata.json: ${track!.slice(0, 1)}.artwork = ${JSON.stringify(given)} resolves to ${join(outside, resolved!)}, outside the library and the folders given for it; not read — copy the file into the library and name it from there`,
      );
      expect(tracks.some((t) => t.file === track)).to.equal(false);
    }
  });

  it("skips a cover or --artwork-dir image that links out (a warning), and keeps artwork that stays in", () => {
    expect(problemOf("covered/d.mp3")?.severity).to.equal("warning");
    expect(problemOf("covered/d.mp3")?.message).to.include(
      `cover file cover.png resolves to ${outside}/cover.png`,
    );
    expect(problemOf("e.mp3")?.message).to.include(`--artwork-dir: e.png resolves to ${outside}/e.png`);
    expect(tracks.map((t) => t.file).sort()).to.deep.equal(["covered/d.mp3", "e.mp3", "ok.mp3"]);
    expect(tracks.find((t) => t.file === "ok.mp3")?.metadata.image).to.match(/^ipfs:\/\//);
  });

  it("never opens a file outside the roots (strace lists every open)", async function () {
    // strace comes with .ci/run's apt packages; without it the opens cannot be watched.
    if (opened === undefined) return this.skip();
    expect(opened, "the trace saw the scan open the library's own artwork").to.include(
      join(library, "art", "ok.png"),
    );
    // An open through a link shows the link's name: each path is resolved, as the kernel did.
    const resolved = await Promise.all(opened.map((path) => realpath(path).catch(() => path)));
    expect(resolved.filter((path) => path.startsWith(outside))).to.deep.equal([]);
  });
});
