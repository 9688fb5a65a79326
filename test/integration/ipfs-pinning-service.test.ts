import { expect } from "chai";
import { AuthError, ProviderError } from "../../pipeline/errors.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { PinningServiceProvider } from "../../pipeline/providers/ipfs/pinning-service.js";
import { sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { type PinningService, startPinningService } from "../support/ipfs-pinning-service.js";

const TOKEN = "pinning-test-token-123";
/** The public multiaddr of the node playing a public Kubo node; the stand-in reaches it on loopback. */
const PUBLIC_ORIGIN = "/dns4/ipfs.artist.example/tcp/4001/p2p/12D3KooWPublicNodeOfTheArtist";

describe("IPFS Pinning Service API provider (contract test, stand-in)", function () {
  this.timeout(30_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  /** Our embedded node: only this machine reaches it. */
  let node: EmbeddedIpfsNode;
  /** Another node holding the same content, reachable by the service under PUBLIC_ORIGIN. */
  let publicNode: EmbeddedIpfsNode;
  let localGateway: string;
  let service: PinningService;

  beforeEach(async () => {
    dir = await tempDir();
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    localGateway = await node.serve({ port: 0 });
    publicNode = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/public` });
    const publicGateway = await publicNode.serve({ port: 0 });
    service = await startPinningService({ token: TOKEN, reachable: { [PUBLIC_ORIGIN]: publicGateway } });
  });
  afterEach(async () => {
    await service.close();
    await publicNode.stop();
    await node.stop();
    await dir.remove();
  });

  const provider = (options: { token?: string; origins?: string[] } = {}) =>
    new PinningServiceProvider(node, {
      endpoint: service.url,
      token: options.token ?? TOKEN,
      origins: options.origins ?? [PUBLIC_ORIGIN],
      timeoutMs: 20_000,
      pollIntervalMs: 20,
      gateway: service.url,
      readBackWindowMs: 2_000,
      retry: { minDelayMs: 1, maxDelayMs: 5 },
    });

  /** A track the public node holds (pushed there before, as a push backend or the artist's Kubo would). */
  async function publishedTrack(size = 300_000, seed = 1) {
    const track = await sampleTrack(dir.path, size, seed);
    await publicNode.add(track.request.source, track.address);
    return track;
  }

  it("pins our CID from the public origin, waits for pinned, reads it back, lists and removes it", async () => {
    const track = await publishedTrack();
    const pinning = provider();
    const stored = await pinning.put(track.request);
    expect(stored).to.include({ provider: "pinning-service", cid: track.address.cid, reused: false });
    expect(service.fetchedFrom).to.have.length(1);
    expect(await pinning.has(stored)).to.equal(true);
    expect((await pinning.put(track.request)).reused).to.equal(true);
    await pinning.verify(stored);
    expect(await pinning.list()).to.have.length(1);
    await pinning.remove(track.address.cid);
    expect(await pinning.has(stored)).to.equal(false);
  });

  it("cannot pin from this machine's loopback gateway, as a hosted service cannot", async () => {
    const track = await sampleTrack(dir.path, 20_000);
    const loopback = `/ip4/127.0.0.1/tcp/${new URL(localGateway).port}/http`;
    const error = await provider({ origins: [loopback] })
      .put(track.request)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError);
    expect((error as ProviderError).code).to.equal("PIN_FAILED");
    expect((error as Error).message).to.include("PINNING_SERVICE_ORIGINS");
    expect(service.fetchedFrom).to.deep.equal([]);
  });

  it("polls again after a 429 (with and without Retry-After) instead of posting the pin twice", async () => {
    const track = await publishedTrack(200_000);
    service.faults.next("status", { kind: "rate-limit", retryAfter: 0 }, { kind: "rate-limit" });
    const stored = await provider().put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.faults.served).to.deep.equal(["status:rate-limit", "status:rate-limit"]);
    expect(service.posts()).to.equal(1);
  });

  it("resumes the pin request it made when the whole call is retried after a 503", async () => {
    const track = await publishedTrack(200_000);
    // The status polls fail more times than one call retries them: the put is retried whole.
    service.faults.next("status", ...Array(6).fill({ kind: "server-error", status: 503 }));
    const stored = await provider().put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.posts()).to.equal(1);
  });

  it("lists every pin across pages (`before` cursor, `count`)", async () => {
    const pinning = provider();
    const tracks = [];
    for (let seed = 1; seed <= 3; seed++) tracks.push(await publishedTrack(3000 + seed, seed));
    for (const track of tracks) await pinning.put(track.request);
    // 1003 pins: more than one page of the spec's maximum limit.
    const filler = Array.from({ length: 1000 }, (_, i) => `bafkqaaa${i}`);
    for (const cid of filler) {
      await fetch(`${service.url}/pins`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ cid }),
      });
    }
    const all = await pinning.list();
    expect(all).to.have.length(1003);
    expect(new Set(all.map((p) => p.requestid)).size).to.equal(1003);
    expect(service.requests.filter((r) => r === "GET /pins").length).to.be.greaterThan(1);
  });

  it("refuses a wrong token with AuthError and never leaks the token", async () => {
    const track = await sampleTrack(dir.path, 10_000);
    const error = await provider({ token: "wrong-token-value-xyz" })
      .put(track.request)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message).not.to.contain(TOKEN);
  });
});
