import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { AuthError, describeError, IntegrityError, ProviderError } from "../../pipeline/errors.js";
import { loadIpfsConfig } from "../../pipeline/providers/ipfs/config.js";
import { KuboProvider } from "../../pipeline/providers/ipfs/kubo.js";
import { freePort } from "../support/hardhat-node.js";
import { sampleTrack } from "../support/ipfs-fixtures.js";
import {
  type KuboStandIn,
  type KuboStandInOptions,
  startKuboStandIn,
} from "../support/ipfs-service/kubo-rpc.js";
import { failure, providerFixture, TEST_RETRY } from "../support/ipfs-service/provider-fixture.js";

describe("Kubo RPC provider (contract test, stand-in)", function () {
  this.timeout(30_000);
  const f = providerFixture();

  async function connect(
    env: Record<string, string> = {},
    standIn: KuboStandInOptions = {},
    readBackWindowMs = 5_000,
  ): Promise<{ kubo: KuboProvider; service: KuboStandIn }> {
    const service = await startKuboStandIn(standIn);
    f.closeAfter(service);
    const config = loadIpfsConfig({ KUBO_RPC_URL: service.url, ...env }, f.dir.path).kubo!;
    return { kubo: new KuboProvider(f.node, { ...config, retry: TEST_RETRY, readBackWindowMs }), service };
  }

  it("imports our CAR pinned, reads it back through the RPC's cat, and finds the pin", async () => {
    const { kubo, service } = await connect();
    const stored = await kubo.put(f.track.request);
    expect(stored).to.include({ provider: "kubo", cid: f.track.address.cid, reused: false });
    expect(service.store.held(f.track.address.cid)?.cid.toString()).to.equal(f.track.address.cid);
    expect(await kubo.has(stored)).to.equal(true);
    await kubo.verify(stored);
    expect((await kubo.put(f.track.request)).reused).to.equal(true);
    const imports = service.received.filter((r) => r.path === "/api/v0/dag/import");
    expect(imports).to.have.length(1);
    service.store.remove(f.track.address.cid);
    expect(await kubo.has(stored)).to.equal(false);
  });

  it("reads back through KUBO_GATEWAY_URL when it is set, and links to it", async () => {
    const service = await startKuboStandIn();
    f.closeAfter(service);
    const config = loadIpfsConfig(
      { KUBO_RPC_URL: service.url, KUBO_GATEWAY_URL: service.gatewayUrl },
      f.dir.path,
    ).kubo!;
    const kubo = new KuboProvider(f.node, { ...config, retry: TEST_RETRY });
    const stored = await kubo.put(f.track.request);
    await kubo.verify(stored);
    expect(await kubo.url(stored)).to.equal(`${service.gatewayUrl}/ipfs/${f.track.address.cid}`);
    expect(service.received.map((r) => r.path)).not.to.include("/api/v0/cat");
  });

  it("sends the documented requests: POST dag/import?pin-roots=true with a multipart `file`, pin/ls, cat", async () => {
    const { kubo, service } = await connect(
      { KUBO_RPC_AUTH: "Bearer filebase-bucket-token-1" },
      { authSecrets: ["bearer:filebase-bucket-token-1"] },
    );
    await kubo.put(f.track.request);
    const [pinCheck, upload, read] = service.received;
    expect(pinCheck).to.deep.include({
      method: "POST",
      path: "/api/v0/pin/ls",
      query: { arg: f.track.address.cid, type: "recursive" },
      authorization: "Bearer filebase-bucket-token-1",
    });
    expect(upload).to.deep.include({
      method: "POST",
      path: "/api/v0/dag/import",
      query: { "pin-roots": "true" },
      authorization: "Bearer filebase-bucket-token-1",
    });
    expect(upload!.contentType).to.match(/^multipart\/form-data; boundary=/);
    expect(upload!.part).to.deep.equal({
      field: "file",
      filename: `${f.track.address.cid}.car`,
      type: "application/octet-stream",
    });
    expect(read).to.deep.include({
      method: "POST",
      path: "/api/v0/cat",
      query: { arg: f.track.address.cid, offline: "true" },
    });
  });

  it("authenticates with user:password as HTTP Basic, as API.Authorizations expects", async () => {
    const { kubo, service } = await connect(
      { KUBO_RPC_AUTH: "artist:basic-secret-pw" },
      { authSecrets: ["basic:artist:basic-secret-pw"] },
    );
    await kubo.put(f.track.request);
    expect(service.received[0]!.authorization).to.equal(
      `Basic ${Buffer.from("artist:basic-secret-pw").toString("base64")}`,
    );
  });

  it("turns refused credentials into AuthError without the secret in the message", async () => {
    const { kubo, service } = await connect(
      { KUBO_RPC_AUTH: "Bearer wrong-token-value-xyz" },
      { authSecrets: ["bearer:the-right-token"] },
    );
    const error = await failure(kubo.put(f.track.request));
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message)
      .to.contain("KUBO_RPC_AUTH")
      .and.not.contain("wrong-token-value-xyz");
    expect(service.received).to.have.length(1);
  });

  it("turns a 403 on the upload itself into AuthError, not retried", async () => {
    const { kubo, service } = await connect();
    service.faults.next("dag/import", { kind: "auth" });
    expect(await failure(kubo.put(f.track.request))).to.be.instanceOf(AuthError);
    expect(service.faults.served).to.deep.equal(["dag/import:auth"]);
  });

  it("retries a proxy's 429 with and without Retry-After, honouring it, and then stores", async () => {
    const { kubo, service } = await connect();
    service.faults.next("dag/import", { kind: "rate-limit" }, { kind: "rate-limit", retryAfter: 1 });
    const started = Date.now();
    const stored = await kubo.put(f.track.request);
    expect(Date.now() - started).to.be.at.least(950);
    expect(stored.cid).to.equal(f.track.address.cid);
    expect(service.faults.served).to.deep.equal(["dag/import:rate-limit", "dag/import:rate-limit"]);
    expect(service.store.held(f.track.address.cid)).to.not.equal(undefined);
  });

  it("retries an upload cut off by a 5xx and then stores", async () => {
    const { kubo, service } = await connect();
    service.faults.next("dag/import", { kind: "server-error", status: 502 });
    const stored = await kubo.put(f.track.request);
    expect(service.faults.served).to.deep.equal(["dag/import:server-error"]);
    await kubo.verify(stored);
  });

  it("waits out the 404s right after an upload, on cat and on the gateway", async () => {
    const { kubo, service } = await connect({}, { invisibleMs: 350 });
    await kubo.put(f.track.request);
    expect(service.faults.served).to.include("cat:not-yet-visible");

    const viaGateway = await startKuboStandIn({ invisibleMs: 350 });
    f.closeAfter(viaGateway);
    const other = await sampleTrack(f.dir.path, 300_000, 7);
    const gatewayKubo = new KuboProvider(f.node, {
      url: viaGateway.url,
      gateway: viaGateway.gatewayUrl,
      retry: TEST_RETRY,
    });
    await gatewayKubo.put(other.request);
    expect(viaGateway.faults.served).to.include("gateway:not-yet-visible");
  });

  it("fails once the read-back window closes with the content still not served", async () => {
    const { kubo, service } = await connect({}, { invisibleMs: 60_000 }, 400);
    const error = await failure(kubo.put(f.track.request));
    expect(error).to.be.instanceOf(ProviderError);
    expect(error).to.include({ code: "NOT_FOUND", retryable: false });
    expect(service.faults.served.filter((f) => f === "cat:not-yet-visible").length).to.be.greaterThan(1);
  });

  it("retries an import whose answer ended without a root (the error in Kubo's X-Stream-Error trailer)", async () => {
    const { kubo, service } = await connect();
    service.streamErrors.push("import interrupted: context canceled");
    const stored = await kubo.put(f.track.request);
    expect(stored.cid).to.equal(f.track.address.cid);
    expect(service.streamErrors).to.deep.equal([]);
    expect(service.received.filter((r) => r.path === "/api/v0/dag/import")).to.have.length(2);
  });

  it("treats a full disk as permanent, with a hint, and does not retry it", async () => {
    const { kubo, service } = await connect();
    service.faults.next("dag/import", { kind: "quota" });
    const error = await failure(kubo.put(f.track.request));
    expect(error).to.be.instanceOf(ProviderError).and.include({ code: "QUOTA", retryable: false });
    expect((error as Error).message)
      .to.contain("no space left on device")
      .and.contain("StorageMax");
    expect(service.received.filter((r) => r.path === "/api/v0/dag/import")).to.have.length(1);
  });

  it("rejects a root other than ours, naming both CIDs", async () => {
    const { kubo, service } = await connect();
    service.faults.next("dag/import", { kind: "wrong-cid" });
    const error = await failure(kubo.put(f.track.request));
    expect(error).to.be.instanceOf(IntegrityError);
    expect(service.misreported).to.have.length(1);
    const { stored, reported } = service.misreported[0]!;
    expect(stored).to.equal(f.track.address.cid);
    expect(reported).to.not.equal(f.track.address.cid);
    expect((error as Error).message)
      .to.contain("kubo")
      .and.contain(f.track.address.cid);
  });

  it("refuses tampered bytes on read-back, through cat and through the gateway", async () => {
    const { kubo, service } = await connect();
    service.faults.next("cat", { kind: "tamper" });
    expect(await failure(kubo.put(f.track.request))).to.be.instanceOf(IntegrityError);
    expect(service.faults.served).to.deep.equal(["cat:tamper"]);

    const viaGateway = await startKuboStandIn();
    f.closeAfter(viaGateway);
    viaGateway.faults.next("gateway", { kind: "tamper" });
    const gatewayKubo = new KuboProvider(f.node, {
      url: viaGateway.url,
      gateway: viaGateway.gatewayUrl,
      retry: TEST_RETRY,
    });
    expect(await failure(gatewayKubo.put(f.track.request))).to.be.instanceOf(IntegrityError);
    expect(viaGateway.faults.served).to.deep.equal(["gateway:tamper"]);
  });

  it("asks a backend it could not connect to, after every retry, again only once the cooldown is over", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const config = loadIpfsConfig({ KUBO_RPC_URL: dead }, f.dir.path).kubo!;
    let retries = 0;
    const kubo = new KuboProvider(f.node, {
      ...config,
      retry: { ...TEST_RETRY, onRetry: () => retries++ },
      unreachableCooldownMs: 1_000,
    });
    expect(describeError(await failure(kubo.put(f.track.request)))).to.match(/ECONNREFUSED/);
    expect(retries).to.equal(TEST_RETRY.retries);

    // Within the cooldown: refused at once, no connection tried, naming the backend and why.
    const second = (await failure(kubo.put(f.track.request))) as ProviderError;
    expect(second).to.be.instanceOf(ProviderError);
    expect(second.code).to.equal("UNREACHABLE");
    expect(second.message).to.match(
      /^kubo: not tried: 0 s ago it could not be reached \(.*ECONNREFUSED.*\); it is tried again in 1 s/,
    );
    expect(retries).to.equal(TEST_RETRY.retries);

    await sleep(1_100);
    await failure(kubo.put(f.track.request));
    expect(retries).to.equal(2 * TEST_RETRY.retries);
  });
});
