import { expect } from "chai";
import { AuthError, IntegrityError, ProviderError } from "../../pipeline/errors.js";
import { loadIpfsConfig } from "../../pipeline/providers/ipfs/config.js";
import { LighthouseProvider } from "../../pipeline/providers/ipfs/lighthouse.js";
import {
  type LighthouseStandIn,
  type LighthouseStandInOptions,
  startLighthouseStandIn,
} from "../support/ipfs-service/lighthouse.js";
import { failure, providerFixture, TEST_RETRY } from "../support/ipfs-service/provider-fixture.js";

const KEY = "lighthouse-test-api-key-0123";

describe("Lighthouse provider (contract test, stand-in)", function () {
  this.timeout(30_000);
  const f = providerFixture();

  async function connect(
    standIn: Partial<LighthouseStandInOptions> = {},
    key = KEY,
    readBackWindowMs = 5_000,
  ): Promise<{ lighthouse: LighthouseProvider; service: LighthouseStandIn }> {
    const service = await startLighthouseStandIn({ apiKey: KEY, ...standIn });
    f.closeAfter(service);
    const env = {
      LIGHTHOUSE_API_KEY: key,
      LIGHTHOUSE_API_URL: service.url,
      LIGHTHOUSE_GATEWAY_URL: service.gatewayUrl,
    };
    const config = loadIpfsConfig(env, f.dir.path).lighthouse!;
    const lighthouse = new LighthouseProvider(f.node, { ...config, retry: TEST_RETRY, readBackWindowMs });
    return { lighthouse, service };
  }

  it("uploads our CAR, checks the Hash, reads it back from the gateway, and links to it", async () => {
    const { lighthouse, service } = await connect();
    const stored = await lighthouse.put(f.track.request);
    expect(stored).to.include({ provider: "lighthouse", cid: f.track.address.cid, reused: false });
    expect(service.store.held(f.track.address.cid)?.cid.toString()).to.equal(f.track.address.cid);
    expect(await lighthouse.has(stored)).to.equal(true);
    await lighthouse.verify(stored);
    expect(await lighthouse.url(stored)).to.equal(`${service.gatewayUrl}/ipfs/${f.track.address.cid}`);
    expect((await lighthouse.put(f.track.request)).reused).to.equal(true);
    expect(service.received.filter((r) => r.path === "/api/v0/dag/import")).to.have.length(1);
    service.store.remove(f.track.address.cid);
    expect(await lighthouse.has(stored)).to.equal(false);
  });

  it("sends the request the SDK's uploadCAR sends: POST /api/v0/dag/import, Bearer key, multipart `file` named *.car", async () => {
    const { lighthouse, service } = await connect();
    await lighthouse.put(f.track.request);
    expect(service.received).to.have.length(1);
    const [upload] = service.received;
    expect(upload).to.deep.include({
      method: "POST",
      path: "/api/v0/dag/import",
      query: {},
      authorization: `Bearer ${KEY}`,
    });
    expect(upload!.contentType).to.match(/^multipart\/form-data; boundary=/);
    expect(upload!.part).to.deep.equal({
      field: "file",
      filename: `${f.track.address.cid}.car`,
      type: "application/octet-stream",
    });
  });

  it("turns a refused key into AuthError without the key in the message", async () => {
    const { lighthouse, service } = await connect({}, "revoked-lighthouse-key-987");
    const error = await failure(lighthouse.put(f.track.request));
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message)
      .to.contain("LIGHTHOUSE_API_KEY")
      .and.not.contain("revoked-lighthouse-key-987");
    expect(service.received).to.have.length(1);
  });

  it("retries 429 with and without Retry-After, honouring it, and then stores", async () => {
    const { lighthouse, service } = await connect();
    service.faults.next("upload", { kind: "rate-limit", retryAfter: 1 }, { kind: "rate-limit" });
    const started = Date.now();
    await lighthouse.put(f.track.request);
    expect(Date.now() - started).to.be.at.least(950);
    expect(service.faults.served).to.deep.equal(["upload:rate-limit", "upload:rate-limit"]);
    expect(service.store.held(f.track.address.cid)).to.not.equal(undefined);
  });

  it("retries an upload cut off by a 5xx and then stores", async () => {
    const { lighthouse, service } = await connect();
    service.faults.next("upload", { kind: "server-error", status: 503 });
    const stored = await lighthouse.put(f.track.request);
    expect(service.faults.served).to.deep.equal(["upload:server-error"]);
    await lighthouse.verify(stored);
  });

  it("waits out the gateway's 404s right after an upload", async () => {
    const { lighthouse, service } = await connect({ invisibleMs: 350 });
    await lighthouse.put(f.track.request);
    expect(service.faults.served).to.include("gateway:not-yet-visible");
  });

  it("fails once the read-back window closes with the content still not served", async () => {
    const { lighthouse } = await connect({ invisibleMs: 60_000 }, KEY, 400);
    const error = await failure(lighthouse.put(f.track.request));
    expect(error).to.be.instanceOf(ProviderError).and.include({ code: "NOT_FOUND", retryable: false });
  });

  for (const quotaShape of ["payment-required", "forbidden"] as const) {
    it(`treats a used-up account (${quotaShape}, an UNCONFIRMED shape) as permanent with a hint, not as a bad key`, async () => {
      const { lighthouse, service } = await connect({ quotaShape });
      service.faults.next("upload", { kind: "quota" });
      const error = await failure(lighthouse.put(f.track.request));
      expect(error).to.be.instanceOf(ProviderError).and.not.be.instanceOf(AuthError);
      expect(error).to.include({ code: "QUOTA", retryable: false });
      expect((error as Error).message)
        .to.contain("limit exceeded")
        .and.contain("add storage");
      expect(service.received).to.have.length(1);
    });
  }

  it("rejects a Hash other than our root, naming both CIDs", async () => {
    const { lighthouse, service } = await connect();
    service.faults.next("upload", { kind: "wrong-cid" });
    const error = await failure(lighthouse.put(f.track.request));
    expect(error).to.be.instanceOf(IntegrityError);
    expect(service.misreported).to.have.length(1);
    const { stored, reported } = service.misreported[0]!;
    expect(stored).to.equal(f.track.address.cid);
    expect((error as Error).message)
      .to.contain("lighthouse")
      .and.contain(f.track.address.cid);
    expect(reported).to.not.equal(f.track.address.cid);
  });

  it("refuses tampered bytes from the gateway", async () => {
    const { lighthouse, service } = await connect();
    service.faults.next("gateway", { kind: "tamper" });
    expect(await failure(lighthouse.put(f.track.request))).to.be.instanceOf(IntegrityError);
    expect(service.faults.served).to.deep.equal(["gateway:tamper"]);
  });
});
