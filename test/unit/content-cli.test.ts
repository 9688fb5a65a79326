import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";

const run = promisify(execFile);

/** Runs the real `dcmx` binary and returns its exit code and output. */
async function dcmx(...args: string[]) {
  return run(process.execPath, ["bin/dcmx.js", ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("dcmx cid", function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-cli-"));
    await writeFile(join(dir, "hello.txt"), "hello\n");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints one JSON line per file", async () => {
    const file = join(dir, "hello.txt");
    const { code, stdout } = await dcmx("cid", file, file, "--profile", "kubo-v0");
    expect(code).to.equal(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).to.have.length(2);
    expect(lines[0]).to.deep.equal({
      file,
      size: 6,
      sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
      cid: "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN",
      profile: "kubo-v0",
    });
  });

  it("reports a missing file and an unknown profile with a non-zero exit", async () => {
    const missing = join(dir, "missing.mp3");
    const bad = await dcmx("cid", join(dir, "hello.txt"), missing);
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.stdout).profile).to.equal("unixfs-v1-2025");
    expect(bad.stderr).to.contain(missing).and.contain("no such file");
    const unknown = await dcmx("cid", join(dir, "hello.txt"), "--profile", "v9");
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stdout).to.equal("");
    expect(unknown.stderr).to.contain('unknown CID profile "v9"');
  });
});
