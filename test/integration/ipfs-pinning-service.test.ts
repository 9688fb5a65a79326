import { expect } from "chai";
import { AuthError } from "../../pipeline/errors.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { PinningServiceProvider } from "../../pipeline/providers/ipfs/pinning-service.js";
import { sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { startPinningService } from "../support/ipfs-pinning-service.js";

const TOKEN = "pinning-test-token-123";

describe("IPFS Pinning Service API provider (contract test, local server)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: EmbeddedIpfsNode;
  let service: Awaited<ReturnType<typeof startPinningService>>;
  let gateway: string;

  beforeEach(async () => {
    dir = await tempDir();
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    gateway = await node.serve({ port: 0 });
    service = await startPinningService(TOKEN);
  });
  afterEach(async () => {
    await service.close();
    await node.stop();
    await dir.remove();
  });

  const provider = (token = TOKEN) =>
    new PinningServiceProvider(node, {
      endpoint: service.url,
      token,
      timeoutMs: 10_000,
      pollIntervalMs: 20,
      gateway,
      retry: { minDelayMs: 1, maxDelayMs: 5 },
    });

  it("pins our CID with the node as origin, waits for pinned, lists and removes it", async () => {
    const track = await sampleTrack(dir.path, 1_500_000);
    const pinning = provider();
    const stored = await pinning.put(track.request);
    expect(stored).to.include({ provider: "pinning-service", cid: track.address.cid, reused: false });
    expect(service.checked).to.deep.equal([track.address.cid]);
    expect(await pinning.has(stored)).to.equal(true);
    expect((await pinning.put(track.request)).reused).to.equal(true);
    await pinning.verify(stored);
    expect(await pinning.list()).to.have.length(1);
    await pinning.remove(track.address.cid);
    expect(await pinning.has(stored)).to.equal(false);
  });

  it("refuses a wrong token with AuthError and never leaks the token", async () => {
    const track = await sampleTrack(dir.path, 10_000);
    const error = await provider("wrong-token-value-xyz")
      .put(track.request)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message).not.to.contain(TOKEN);
  });
});
