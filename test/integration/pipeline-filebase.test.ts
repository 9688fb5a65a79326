import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { type FilebaseService, startFilebaseService } from "../support/ipfs-service/filebase.js";
import { ledgerFileText } from "../support/ledger-snapshot.js";
import { generateLibrary } from "../support/library-generator.js";

const ACCESS_KEY = "FILEBASE-E2E-ACCESS-KEY";
const SECRET_KEY = "filebase-e2e-secret-key-that-must-not-leak";
const BUCKET = "dcmx-e2e";

/**
 * The README's main job with Filebase as the IPFS backup, against the stand-in, with the faults a real run
 * meets: a 429, a PUT cut off mid-body, a gateway that 404s fresh content for a second, and one object
 * whose reported CID is not ours. Every track whose objects came back right is minted; the one with the
 * wrong CID fails and is never minted.
 */
describe("main job with a Filebase backup (contract test, stand-in)", function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let dir: string;
  let service: FilebaseService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-filebase-"));
    [node, service] = await Promise.all([
      startHardhatNode(),
      startFilebaseService({
        accessKey: ACCESS_KEY,
        secretKey: SECRET_KEY,
        bucket: BUCKET,
        invisibleMs: 1_000,
      }),
      generateLibrary(dir, 4, { prefix: "Filebase" }),
    ]);
  });
  after(async () => {
    await service?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("mints every track Filebase verifiably holds and fails the one with a different CID", async () => {
    service.faults.next(
      "put",
      { kind: "rate-limit" },
      { kind: "server-error", status: 502 },
      { kind: "wrong-cid" },
    );
    const run = await runMintLibrary({
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
      FILEBASE_ACCESS_KEY: ACCESS_KEY,
      FILEBASE_SECRET_KEY: SECRET_KEY,
      FILEBASE_BUCKET: BUCKET,
      FILEBASE_ENDPOINT: service.endpoint,
      FILEBASE_GATEWAY_URL: service.gateway,
    });
    expect(run.code, run.output).to.equal(1);
    expect(service.faults.served).to.deep.equal(["put:rate-limit", "put:server-error", "put:wrong-cid"]);
    expect(service.store.hiddenReads).to.be.greaterThan(0);

    const report = RunReportSchema.parse(
      JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")),
    );
    const minted = report.tracks.filter((t) => t.status === "minted");
    const failed = report.tracks.filter((t) => t.status !== "minted");
    expect(minted).to.have.length(3);
    expect(failed).to.have.length(1);
    expect(failed[0]).to.include({ status: "failed", tokenId: null, txHash: null });
    expect(failed[0]!.error).to.match(/filebase.*returned CID .* but we computed/);
    for (const track of minted) {
      expect(track.ipfsProviders).to.include("filebase");
      expect(service.store.held(track.cid), track.file).to.not.equal(undefined);
      expect(service.store.held(track.metadataCid!), track.file).to.not.equal(undefined);
    }
    expect(report.totals).to.include({ successful: 3, failed: 1 });
    const ledger = await ledgerFileText(join(dir, "work"));
    for (const text of [run.output, ledger, JSON.stringify(report)]) {
      expect(text).to.not.include(SECRET_KEY).and.not.include(ACCESS_KEY);
    }
  });
});
