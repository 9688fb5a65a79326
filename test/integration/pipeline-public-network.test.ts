import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { startNftStorageServer } from "../support/ipfs-nft-storage-server.js";
import { generateLibrary } from "../support/library-generator.js";

/** Sepolia's chain id: a `hardhat node` started with it is, to the pipeline, a public network. */
const PUBLIC_CHAIN_ID = 11155111;

/**
 * Never mint what no stranger can fetch: on a public network a track is minted only once a remote IPFS
 * backend holds its audio and metadata (read back), unless DCMX_ALLOW_LOCAL_ONLY says otherwise.
 */
describe("pipeline on a public network (chain id 11155111 behind hardhat node)", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-public-"));
    [node] = await Promise.all([
      startHardhatNode({ chainId: PUBLIC_CHAIN_ID }),
      generateLibrary(dir, 2, { prefix: "Public" }),
    ]);
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (name: string, extra: Record<string, string> = {}) => {
    const work = join(dir, name);
    const result = await runMintLibrary({
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: work,
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
      // Who administers the collection is another public-chain rule, with tests of its own.
      DCMX_ALLOW_HOT_ADMIN: "1",
      ...extra,
    });
    const report = RunReportSchema.parse(JSON.parse(await readFile(join(work, "report.json"), "utf8")));
    return { ...result, report };
  };

  it("leaves every track pending and mints nothing without a remote backend (exit 75)", async () => {
    const { code, output, report } = await run("local-only");
    expect(code, output).to.equal(75);
    expect(report.chain?.chainId).to.equal(PUBLIC_CHAIN_ID);
    expect(report.tracks.map((t) => t.status)).to.deep.equal(["pending", "pending"]);
    expect(report.totals.mintTransactions).to.equal(0);
    for (const track of report.tracks) {
      expect(track.error).to.include("not minted on localhost");
      // A FLAC master's preview is fetched by strangers too (it is what animation_url points at).
      expect(track.error).to.match(/the audio, (preview, )?metadata would be only on this machine/);
      expect(track.error).to.include("no remote IPFS backend is configured");
      expect(track.error).to.include("docs/STORAGE_SETUP.md");
      expect(track.error).to.include("DCMX_ALLOW_LOCAL_ONLY=1");
    }
  });

  it("mints with DCMX_ALLOW_LOCAL_ONLY=1, saying so", async () => {
    const { code, output, report } = await run("allowed", { DCMX_ALLOW_LOCAL_ONLY: "1" });
    expect(code, output).to.equal(0);
    expect(output).to.include("DCMX_ALLOW_LOCAL_ONLY is set: minting on localhost");
    expect(report.tracks.map((t) => t.status)).to.deep.equal(["minted", "minted"]);
  });

  it("mints once a self-hosted NFT.Storage-compatible backend holds audio and metadata (stand-in)", async () => {
    const token = "public-network-nft-token-5521";
    const service = await startNftStorageServer({ token });
    try {
      const { code, output, report } = await run("remote", {
        NFT_STORAGE_TOKEN: token,
        NFT_STORAGE_ENDPOINT: service.url,
        NFT_STORAGE_GATEWAY_URL: service.url,
      });
      expect(code, output).to.equal(0);
      expect(report.tracks.map((t) => t.status)).to.deep.equal(["minted", "minted"]);
      expect(report.tracks.every((t) => t.ipfsProviders.includes("nft-storage"))).to.equal(true);
      expect(output).to.not.include(token);
      // The service holds every token's metadata: it answers its status with our CID.
      for (const track of report.tracks) {
        const status = await fetch(`${service.url}/${track.metadataCid}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(status.status).to.equal(200);
      }
    } finally {
      await service.close();
    }
  });
});
