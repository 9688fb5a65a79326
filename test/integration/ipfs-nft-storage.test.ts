import { expect } from "chai";
import { AuthError, IntegrityError } from "../../pipeline/errors.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { NftStorageProvider } from "../../pipeline/providers/ipfs/nft-storage.js";
import { type SampleTrack, sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { type NftStorageServerOptions, startNftStorageServer } from "../support/ipfs-nft-storage-server.js";

const TOKEN = "nft-storage-test-token-123";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

describe("NFT.Storage provider (contract test, local server)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: EmbeddedIpfsNode;
  let track: SampleTrack;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    dir = await tempDir();
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    track = await sampleTrack(dir.path, 1_200_000);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await node.stop();
    await dir.remove();
  });

  async function provider(options: Partial<NftStorageServerOptions> = {}, token = TOKEN) {
    const server = await startNftStorageServer({ token: TOKEN, ...options });
    servers.push(server);
    return new NftStorageProvider(node, {
      token,
      endpoint: server.url,
      gateway: server.url,
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 5 },
    });
  }

  it("stores our CAR, reports status, reads it back verified and deletes it", async () => {
    const nft = await provider();
    const stored = await nft.put(track.request);
    expect(stored).to.include({ provider: "nft-storage", cid: track.address.cid, reused: false });
    expect(await nft.has(stored)).to.equal(true);
    expect((await nft.put(track.request)).reused).to.equal(true);
    await nft.verify(stored);
    await nft.delete(stored.cid);
    expect(await nft.has(stored)).to.equal(false);
  });

  it("lists every upload newest first across pages, from a given instant, without deleted ones", async () => {
    const nft = await provider();
    const tracks = [track, await sampleTrack(dir.path, 3000, 2), await sampleTrack(dir.path, 5000, 3)];
    for (const t of tracks) await nft.put(t.request);
    const newestFirst = tracks.map((t) => t.address.cid).reverse();

    const listed = await collect(nft.list({ pageSize: 2 }));
    expect(listed.map((upload) => upload.cid)).to.deep.equal(newestFirst);
    expect(listed.every((upload) => upload.pinStatus === "pinned" && upload.size > 0)).to.equal(true);
    const older = await collect(nft.list({ before: listed[0]!.created, pageSize: 1 }));
    expect(older.map((upload) => upload.cid)).to.deep.equal(newestFirst.slice(1));

    await nft.delete(tracks[1]!.address.cid);
    const left = await collect(nft.list());
    expect(left.map((upload) => upload.cid)).to.deep.equal([newestFirst[0], newestFirst[2]]);
  });

  it("rejects a provider that answers with a CID other than ours", async () => {
    const other = await sampleTrack(dir.path, 1000, 2);
    const nft = await provider({ lieCid: other.address.cid });
    const error = await nft.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
  });

  it("detects a gateway that serves tampered bytes when it reads the upload back, before it counts", async () => {
    const nft = await provider({ tamper: true });
    const error = await nft.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
  });

  it("turns a refused token into AuthError without the token in the message", async () => {
    const nft = await provider({}, "wrong-token-value-xyz");
    const error = await nft.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message).not.to.contain("wrong-token-value-xyz");
    const listing = await collect(nft.list()).catch((e: unknown) => e);
    expect(listing).to.be.instanceOf(AuthError);
    expect((listing as Error).message).not.to.contain("wrong-token-value-xyz");
  });
});
