import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type RunReport, RunReportSchema } from "../../pipeline/report/report.js";
import { freePort, type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { startNftStorageServer } from "../support/ipfs-nft-storage-server.js";
import { ledgerTracks } from "../support/ledger-snapshot.js";
import { generateLibrary } from "../support/library-generator.js";

/**
 * A remote IPFS backup is a backup: when it is down, the tracks are minted from what the required
 * providers hold (S3 primary and the embedded node), the missing copies are reported, and a later run
 * stores them on the backup without minting again or sending the audio to S3 again.
 */
describe("pipeline with a remote IPFS backup down (self-hosted NFT.Storage stand-in)", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-degraded-"));
    [node] = await Promise.all([startHardhatNode(), generateLibrary(dir, 4, { prefix: "Outage" })]);
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("mints without the backup, reports it, and a later run completes the backup only", async () => {
    const token = "nft-token-for-the-outage-test";
    const env = {
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
      NFT_STORAGE_TOKEN: token,
    };
    const dead = `http://127.0.0.1:${await freePort()}`;
    const down = await runMintLibrary({ ...env, NFT_STORAGE_ENDPOINT: dead, NFT_STORAGE_GATEWAY_URL: dead });
    expect(down.code, down.output).to.equal(0);
    expect(down.output).to.match(/audio not stored on nft-storage \(remote\)/);
    expect(down.output).to.match(/metadata not stored on nft-storage \(remote\)/);
    expect(down.output).to.include("Degraded: 4 tracks lack a backup copy");
    expect(down.output).to.not.include(token);
    const first = RunReportSchema.parse(JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")));
    expect(first.tracks.map((t) => t.status)).to.deep.equal(Array(4).fill("minted"));
    expect(first.totals.mintTransactions).to.equal(1);
    for (const track of first.tracks) {
      expect(track.degraded.some((d) => d.startsWith("audio on nft-storage:"))).to.equal(true);
      expect(track.degraded.some((d) => d.startsWith("metadata on nft-storage:"))).to.equal(true);
      expect(track.ipfsProviders).to.deep.equal(["ipfs"]);
    }

    const service = await startNftStorageServer({ token });
    let second: RunReport;
    try {
      const up = await runMintLibrary({
        ...env,
        NFT_STORAGE_ENDPOINT: service.url,
        NFT_STORAGE_GATEWAY_URL: service.url,
      });
      expect(up.code, up.output).to.equal(0);
      second = RunReportSchema.parse(JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")));
      expect(second.tracks.map((t) => t.status)).to.deep.equal(Array(4).fill("minted"));
      expect(second.totals.mintTransactions).to.equal(0);
      expect(second.tracks.every((t) => t.degraded.length === 0)).to.equal(true);
      expect(second.tracks.every((t) => t.ipfsProviders.includes("nft-storage"))).to.equal(true);
    } finally {
      await service.close();
    }
    const tracks = await ledgerTracks(join(dir, "work"));
    expect(tracks).to.have.length(4);
    const backup = tracks.flatMap((t) => t.stored.filter((o) => o.provider === "nft-storage"));
    expect(backup.filter((o) => o.kind === "audio")).to.have.length(4);
    expect(backup.filter((o) => o.kind === "metadata")).to.have.length(4);
    for (const track of tracks) expect(track.minted.size, track.file).to.equal(1);
    // The second run sent the backup's audio and artwork and nothing else: the S3 primary's copies were not
    // sent again (a put there would count its bytes too).
    const backupBytes = backup.filter((o) => o.kind !== "metadata").reduce((sum, o) => sum + o.size, 0);
    expect(second.totals.uploadedBytes).to.equal(backupBytes);

    // A third run finds nothing missing: no upload, no transaction.
    const third = await runMintLibrary({
      ...env,
      NFT_STORAGE_ENDPOINT: dead,
      NFT_STORAGE_GATEWAY_URL: dead,
    });
    expect(third.code, third.output).to.equal(0);
    expect(third.output).to.include("Nothing to do");
  });
});
