import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { freePort, type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { startPinningService } from "../support/ipfs-pinning-service.js";
import { generateLibrary } from "../support/library-generator.js";

/**
 * The original design's graceful degradation: when the IPFS backup is down, Storj still takes the audio
 * and is recorded, the tracks wait (not minted, not failed), and a later run finishes them without
 * sending the audio to Storj again.
 */
describe("pipeline with the IPFS backup down (pinning service)", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-degraded-"));
    node = await startHardhatNode();
    await generateLibrary(dir, 6, { prefix: "Outage" });
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores on Storj, leaves the tracks pending, and a later run completes", async () => {
    const token = "pinning-token-for-the-outage-test";
    const env = {
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
      PINNING_SERVICE_TOKEN: token,
      PINNING_TIMEOUT_SECONDS: "30",
    };
    const down = await runMintLibrary({
      ...env,
      PINNING_SERVICE_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    });
    expect(down.code, down.output).to.equal(75);
    const first = RunReportSchema.parse(JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")));
    expect(first.tracks.map((t) => t.status)).to.deep.equal(Array(6).fill("pending"));
    expect(first.tracks.every((t) => t.storj !== null || t.error !== null)).to.equal(true);
    expect(first.totals.mintTransactions).to.equal(0);
    expect(down.output).to.not.include(token);

    const service = await startPinningService(token);
    try {
      const up = await runMintLibrary({ ...env, PINNING_SERVICE_ENDPOINT: service.url });
      expect(up.code, up.output).to.equal(0);
      const second = RunReportSchema.parse(
        JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")),
      );
      expect(second.tracks.map((t) => t.status)).to.deep.equal(Array(6).fill("minted"));
      expect(service.checked.length).to.be.greaterThan(0);
    } finally {
      await service.close();
    }
    // Each track's audio went to the S3 primary once, across both runs.
    const journal = (await readFile(join(dir, "work", "journal.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const s3Audio = journal.filter(
      (r) => r.type === "stored" && r.object.kind === "audio" && r.object.provider === "local-s3",
    );
    expect(s3Audio).to.have.length(6);
    expect(s3Audio.every((r) => r.object.reused === false)).to.equal(true);
  });
});
