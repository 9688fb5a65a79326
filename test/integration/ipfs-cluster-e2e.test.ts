import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { ClusterStandIn } from "../support/ipfs-service/ipfs-cluster.js";
import { generateLibrary } from "../support/library-generator.js";

const PASSWORD = "cluster-e2e-password-6c1d";

/**
 * The README's main job with an IPFS Cluster as the remote IPFS backend, through the faults a real run
 * meets: the track whose upload came back with another CID fails and is not minted; every other track
 * is minted with its audio and metadata pinned on the minimum of peers.
 */
describe("mint-library with IPFS Cluster (contract test, stand-in)", function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let cluster: ClusterStandIn;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-cluster-e2e-"));
    [node, cluster] = await Promise.all([
      startHardhatNode(),
      ClusterStandIn.start({ auth: { basic: `dcmx:${PASSWORD}` }, peers: 3, pinMs: 300, invisibleMs: 1_000 }),
    ]);
  });
  after(async () => {
    await node?.stop();
    await cluster?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("mints every track but the one whose upload reported another CID, through 429, 5xx and a 404 window", async () => {
    await generateLibrary(dir, 4, { prefix: "Cluster" });
    cluster.faults.next(
      "add",
      { kind: "rate-limit", retryAfter: 1 },
      { kind: "server-error", status: 503 },
      { kind: "wrong-cid" },
    );
    const workDir = join(dir, "work");
    const run = await runMintLibrary({
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: workDir,
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
      IPFS_CLUSTER_URL: cluster.url,
      IPFS_CLUSTER_AUTH: `dcmx:${PASSWORD}`,
      IPFS_CLUSTER_REPLICATION: "2,3",
      IPFS_CLUSTER_GATEWAY_URL: cluster.gatewayUrl,
    });
    expect(run.code, run.output).to.equal(1);
    expect(run.output).not.to.include(PASSWORD);
    expect(cluster.faults.served).to.deep.equal(["add:rate-limit", "add:server-error", "add:wrong-cid"]);
    expect(cluster.store.hiddenReads, "the read-back met the 404 window").to.be.at.least(1);

    const report = RunReportSchema.parse(JSON.parse(await readFile(join(workDir, "report.json"), "utf8")));
    const failed = report.tracks.filter((t) => t.status === "failed");
    const minted = report.tracks.filter((t) => t.status === "minted");
    expect(report.tracks).to.have.length(4);
    expect(failed, run.output).to.have.length(1);
    expect(failed[0]!.tokenId).to.equal(null);
    expect(failed[0]!.error).to.include("ipfs-cluster returned CID").and.include("we computed");
    expect(minted).to.have.length(3);
    for (const track of minted) {
      expect(track.ipfsProviders).to.include("ipfs-cluster");
      expect(cluster.pinnedOn(track.cid), `audio of ${track.file}`).to.be.at.least(2);
      expect(cluster.pinnedOn(track.metadataCid!), `metadata of ${track.file}`).to.be.at.least(2);
    }
  });
});
