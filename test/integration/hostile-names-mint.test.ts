import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { buildHostileNames, type NameCase } from "../support/hostile-names.js";

/**
 * The README's main job on a library copied from old archives: names that are not UTF-8, NFD copies,
 * newlines and terminal escapes, a 255-byte name. Every good track is minted, and a re-run finds all of
 * them in the journal by their exact bytes (nothing uploaded again).
 */
describe("mint a library of hostile file names (hardhat node)", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let dir: string;
  let cases: NameCase[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-names-mint-"));
    [cases, node] = await Promise.all([buildHostileNames(dir), startHardhatNode()]);
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("mints every good track, one line each, then a re-run uploads 0 B", async () => {
    const env = {
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
    };
    const good = cases.filter((c) => c.duplicateOf === undefined);
    const first = await runMintLibrary(env);
    expect(first.code, first.output).to.equal(0);
    expect(first.output).to.include(`Successful: ${good.length}/${good.length} tracks`);
    // A name never breaks a line or sends a terminal escape.
    expect(first.output.includes("\x1b"), "no terminal escape").to.equal(false);
    expect(first.output.includes("\x07"), "no bell").to.equal(false);
    expect(first.output).to.include("line\\nbreak.mp3");
    const report = RunReportSchema.parse(
      JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")),
    );
    const minted = report.tracks.filter((t) => t.status === "minted").map((t) => t.file);
    expect(minted.sort()).to.deep.equal(good.map((c) => c.display).sort());
    const copy = cases.find((c) => c.duplicateOf !== undefined)!;
    expect(report.tracks.find((t) => t.file === copy.display)?.status).to.equal("duplicate");

    const again = await runMintLibrary(env);
    expect(again.code, again.output).to.equal(0);
    const rerun = RunReportSchema.parse(
      JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")),
    );
    expect(rerun.totals.uploadedBytes).to.equal(0);
    expect(rerun.totals.mintTransactions).to.equal(0);
    expect(rerun.tracks.filter((t) => t.status === "minted")).to.have.length(good.length);
  });
});
