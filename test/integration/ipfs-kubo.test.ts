import { expect } from "chai";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { KuboProvider } from "../../pipeline/providers/ipfs/kubo.js";
import { sampleTrack, tempDir } from "../support/ipfs-fixtures.js";

const KUBO_RPC_URL = process.env.KUBO_RPC_URL;

describe("Kubo provider (integration, needs KUBO_RPC_URL)", () => {
  before(function () {
    if (KUBO_RPC_URL === undefined || KUBO_RPC_URL === "") {
      console.log("    (skipped: set KUBO_RPC_URL, e.g. http://127.0.0.1:5001, to run the Kubo tests)");
      this.skip();
    }
  });

  it("imports our CAR with dag import, pins it, and reads it back verified", async () => {
    const dir = await tempDir();
    const node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    try {
      const track = await sampleTrack(dir.path, 1_100_000, Date.now() % 1000);
      const kubo = new KuboProvider(node, { url: KUBO_RPC_URL!, gateway: process.env.KUBO_GATEWAY_URL });
      const stored = await kubo.put(track.request);
      expect(stored.cid).to.equal(track.address.cid);
      expect(await kubo.has(stored)).to.equal(true);
      if (process.env.KUBO_GATEWAY_URL) await kubo.verify(stored);
    } finally {
      await node.stop();
      await dir.remove();
    }
  });
});
