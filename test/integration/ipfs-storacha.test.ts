import { expect } from "chai";
import { AuthError, ConfigError, IntegrityError } from "../../pipeline/errors.js";
import type { StorachaConfig } from "../../pipeline/providers/ipfs/config.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { StorachaProvider } from "../../pipeline/providers/ipfs/storacha.js";
import { type SampleTrack, sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { startHttpService } from "../support/ipfs-service/http-service.js";
import {
  type StorachaService,
  type StorachaServiceOptions,
  startStorachaService,
} from "../support/ipfs-storacha-service.js";

describe("Storacha provider (contract test, real @storacha/upload-api in-process over HTTP)", function () {
  this.timeout(20_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: EmbeddedIpfsNode;
  let track: SampleTrack;
  let service: StorachaService | undefined;

  beforeEach(async () => {
    dir = await tempDir();
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    track = await sampleTrack(dir.path, 1_200_000);
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await node.stop();
    await dir.remove();
  });

  /** A fresh service per test: its internal delegations expire after about 30 s. */
  async function setup(
    options: StorachaServiceOptions = {},
    edit?: (config: StorachaConfig, service: StorachaService) => void | Promise<void>,
  ) {
    service = await startStorachaService(options);
    const credentials = await service.credentials();
    // The embedded node's trustless gateway stands in for the one serving the space (it holds the same DAG).
    const config: StorachaConfig = {
      key: credentials.key,
      proof: credentials.proof,
      serviceUrl: service.url,
      serviceDid: service.did,
      gateway: await node.serve({ port: 0 }),
    };
    await edit?.(config, service);
    const provider = new StorachaProvider(node, {
      config,
      readBackWindowMs: 5_000,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    return { provider, credentials, service, config };
  }

  /** A configuration problem must surface before any request, name its variable and never show the key. */
  async function expectRefusedLocally(
    { provider, service, config }: Awaited<ReturnType<typeof setup>>,
    type: typeof ConfigError | typeof AuthError,
    variable: string,
  ) {
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(type);
    expect((error as Error).message)
      .to.contain(variable)
      .and.not.contain(config.key);
    expect(service.requests()).to.equal(0);
  }

  it("uploads our CAR, the service records our root, and a second put is reused", async () => {
    const { provider, credentials, service, config } = await setup();
    const stored = await provider.put(track.request);
    expect(stored).to.include({ provider: "storacha", cid: track.address.cid, reused: false });
    expect(await service.hasUpload(credentials.space, track.address.cid)).to.equal(true);
    expect(await provider.has(stored)).to.equal(true);
    expect((await provider.put(track.request)).reused).to.equal(true);
    expect(await provider.url(stored)).to.equal(`${config.gateway}/ipfs/${track.address.cid}`);
    expect(await provider.stats()).to.deep.equal({
      provider: "storacha",
      objects: 1,
      bytes: track.address.size,
    });
  });

  it("reads content back through the gateway STORACHA_GATEWAY_URL names, waiting out its first 404s", async () => {
    // A gateway that has not seen the fresh upload yet for its first two answers, then serves the node's.
    const node404 = await node.serve({ port: 0 });
    let reads = 0;
    const gateway = await startHttpService(async (_req, res, url) => {
      if (++reads <= 2) return void res.writeHead(404).end("not found");
      const answer = await fetch(`${node404}${url.pathname}`);
      res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer()));
    });
    try {
      const { provider } = await setup({}, (config) => {
        config.gateway = gateway.url;
      });
      const stored = await provider.put(track.request);
      expect(reads).to.equal(3);
      expect(await provider.url(stored)).to.equal(`${gateway.url}/ipfs/${track.address.cid}`);
      await provider.verify(stored);
      const error = await provider.verify({ ...stored, sha256: "0".repeat(64) }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(IntegrityError);
    } finally {
      await gateway.close();
    }
  });

  it("rejects a service whose upload record names a root other than ours", async () => {
    const other = await sampleTrack(dir.path, 1000, 2);
    const { provider } = await setup({ lieRoot: other.address.cid });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message).to.contain(other.address.cid);
  });

  it("polls the receipt again while the service has not written it yet (404)", async () => {
    const { provider, service } = await setup({ receiptLateFirst: 1 });
    const stored = await provider.put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.receiptRequests()).to.be.greaterThan(1);
  });

  it("retries a service answering 503 and then succeeds", async () => {
    const { provider, service } = await setup({ failFirst: 1 });
    const stored = await provider.put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.requests()).to.be.greaterThan(1);
  });

  it("names W3UP_PROOF when the proof is not a delegation, without the key in the message", async () => {
    const context = await setup({}, (config) => {
      config.proof = "not-a-delegation";
    });
    await expectRefusedLocally(context, ConfigError, "W3UP_PROOF");
  });

  it("names W3UP_KEY when the key is not an agent key", async () => {
    const context = await setup({}, (config) => {
      config.key = "MgNotAKeyAtAll0123456789";
    });
    await expectRefusedLocally(context, ConfigError, "W3UP_KEY");
  });

  it("refuses a proof delegated to another agent before sending anything", async () => {
    const context = await setup({}, async (config, service) => {
      config.proof = (await service.credentials()).proof;
    });
    await expectRefusedLocally(context, ConfigError, "W3UP_PROOF");
  });

  it("refuses an expired delegation with AuthError before sending anything", async () => {
    const context = await setup({}, async (config, service) => {
      const expired = await service.credentials({ expiration: Math.floor(Date.now() / 1000) - 60 });
      config.key = expired.key;
      config.proof = expired.proof;
    });
    await expectRefusedLocally(context, AuthError, "W3UP_PROOF");
  });

  it("turns the service's refusal of the delegation into AuthError without the key", async () => {
    const { provider, credentials } = await setup({}, (config) => {
      config.serviceDid = "did:web:someone-else.example";
    });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message).not.to.contain(credentials.key);
  });
});
