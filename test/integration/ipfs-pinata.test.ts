import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { AuthError, IntegrityError, ProviderError } from "../../pipeline/errors.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import {
  PINATA_TUS_THRESHOLD,
  type PinataOptions,
  PinataProvider,
} from "../../pipeline/providers/ipfs/pinata.js";
import { type SampleTrack, sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { type PinataService, type ReceivedCall, startPinataService } from "../support/ipfs-service/pinata.js";

const JWT = "pinata-test-jwt.eyJzY29wZSI6InVwbG9hZCJ9.signature";
const CHUNK = 256 * 1024;

describe("Pinata provider (contract test, stand-in)", function () {
  this.timeout(30_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: EmbeddedIpfsNode;
  let track: SampleTrack;
  let service: PinataService;
  const services: PinataService[] = [];

  beforeEach(async () => {
    dir = await tempDir();
    node = await new EmbeddedIpfsNode().start({ directory: join(dir.path, "repo") });
    track = await sampleTrack(dir.path, 1_200_000);
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.close()));
    await node.stop();
    await dir.remove();
  });

  async function pinata(options: Partial<PinataOptions> = {}, invisibleMs = 0) {
    service = await startPinataService({ jwt: JWT, invisibleMs });
    services.push(service);
    return new PinataProvider(node, {
      jwt: JWT,
      uploadUrl: service.uploadUrl,
      apiUrl: service.apiUrl,
      gateway: service.gatewayUrl,
      spoolDir: join(dir.path, "spool"),
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 20 },
      readBackWindowMs: 2_000,
      ...options,
    });
  }
  const uploadsOf = (method: string) =>
    service.calls.filter((c) => c.host === "uploads" && c.method === method);

  it("puts our CAR, reports it held, verifies it and gives its dedicated-gateway URL", async () => {
    const provider = await pinata();
    const stored = await provider.put(track.request);
    expect(stored).to.include({ provider: "pinata", cid: track.address.cid, reused: false });
    expect(service.store.held(track.address.cid)).not.to.equal(undefined);
    expect(await provider.has(stored)).to.equal(true);
    await provider.verify(stored);
    expect(await provider.url(stored)).to.equal(`${service.gatewayUrl}/ipfs/${track.address.cid}`);
    expect((await provider.put(track.request)).reused).to.equal(true);
    expect(uploadsOf("POST")).to.have.length(1);
    expect(await readdir(join(dir.path, "spool"))).to.deep.equal([]);
  });

  it("sends the documented request: multipart file, network=public, name, car=true, Bearer JWT", async () => {
    const provider = await pinata();
    await provider.put(track.request);
    const cid = track.address.cid;
    const lookup = service.calls.find((c) => c.host === "api")!;
    expect(lookup).to.deep.include({ method: "GET", path: "/v3/files/public", query: { cid } });
    expect(lookup.headers.authorization).to.equal(`Bearer ${JWT}`);
    const [upload] = uploadsOf("POST") as [ReceivedCall];
    expect(upload.path).to.equal("/v3/files");
    expect(upload.headers.authorization).to.equal(`Bearer ${JWT}`);
    expect(upload.headers["content-type"]).to.match(/^multipart\/form-data; boundary=/);
    expect(upload.fields).to.deep.equal({ network: "public", name: `${cid}.mp3`, car: "true" });
    expect(upload.file).to.deep.include({ filename: `${cid}.mp3.car`, type: "application/vnd.ipld.car" });
    expect(upload.file!.size).to.be.greaterThan(track.bytes.length);
  });

  it("gets another CID from the stand-in for bytes sent without car=true, as Pinata chunks them itself", async () => {
    service = await startPinataService({ jwt: JWT });
    services.push(service);
    const form = new FormData();
    form.append("file", new Blob([track.bytes]), "track.mp3");
    form.append("network", "public");
    const answer = await fetch(`${service.uploadUrl}/v3/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${JWT}` },
      body: form,
    });
    const { data } = (await answer.json()) as { data: { cid: string } };
    expect(data.cid).to.match(/^baf/).and.not.equal(track.address.cid);
  });

  it("uploads resumably above the threshold and resumes a chunk cut off by a 5xx from the server's offset", async () => {
    expect(PINATA_TUS_THRESHOLD).to.equal(94_371_840);
    const provider = await pinata({ tusThresholdBytes: 100_000, tusChunkBytes: CHUNK });
    service.faults.next("patch:3", { kind: "server-error", status: 503 });
    const stored = await provider.put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.faults.served).to.deep.equal(["patch:3:server-error"]);

    const [create] = uploadsOf("POST") as [ReceivedCall];
    expect(uploadsOf("POST")).to.have.length(1);
    const carSize = Number(create.headers["upload-length"]);
    expect(carSize).to.be.greaterThan(track.bytes.length);
    const metadata = Object.fromEntries(
      create.headers["upload-metadata"]!.split(",").map((pair) => {
        const [key, value] = pair.split(" ") as [string, string];
        return [key, Buffer.from(value, "base64").toString()];
      }),
    );
    expect(metadata).to.deep.equal({
      filename: `${track.address.cid}.mp3`,
      filetype: "application/vnd.ipld.car",
      network: "public",
      car: "true",
    });
    expect(create.headers.authorization).to.equal(`Bearer ${JWT}`);
    const patches = uploadsOf("PATCH");
    for (const patch of patches) {
      expect(patch.headers).to.include({
        "content-type": "application/offset+octet-stream",
        authorization: `Bearer ${JWT}`,
        "tus-resumable": "1.0.0",
      });
    }
    // Resumed, not restarted: one HEAD, the PATCH after it starts inside the cut chunk, and the server
    // received each byte of the CAR once.
    expect(uploadsOf("HEAD")).to.have.length(1);
    const offsets = patches.map((p) => Number(p.headers["upload-offset"]));
    expect(offsets.slice(0, 3)).to.deep.equal([0, CHUNK, 2 * CHUNK]);
    expect(offsets[3])
      .to.be.greaterThan(2 * CHUNK)
      .and.lessThan(3 * CHUNK);
    expect(service.patchBytes()).to.equal(carSize);
  });

  it("gives up a resumable upload whose chunks keep failing, without opening a second session", async () => {
    const retry = { retries: 2, minDelayMs: 1, maxDelayMs: 5 };
    const provider = await pinata({ tusThresholdBytes: 100_000, tusChunkBytes: CHUNK, retry });
    service.faults.always("patch", { kind: "server-error", status: 503 });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError);
    expect(error).to.include({ code: "RESUMABLE_FAILED", retryable: false });
    expect(service.faults.served).to.deep.equal(Array(3).fill("patch:server-error"));
    expect(uploadsOf("POST")).to.have.length(1);
    expect(uploadsOf("HEAD")).to.have.length(2);
  });

  it("waits out a 429 without Retry-After and one with it, and retries a 5xx mid-upload", async () => {
    const provider = await pinata({ retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2_000 } });
    service.faults.next("list", { kind: "rate-limit" });
    service.faults.next(
      "upload",
      { kind: "rate-limit" },
      { kind: "rate-limit", retryAfter: 1 },
      { kind: "server-error" },
    );
    const started = Date.now();
    const stored = await provider.put(track.request);
    expect(Date.now() - started).to.be.at.least(950);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.faults.served).to.deep.equal([
      "list:rate-limit",
      "upload:rate-limit",
      "upload:rate-limit",
      "upload:server-error",
    ]);
  });

  it("treats an account over its plan as permanent, with a hint, not as refused credentials", async () => {
    const provider = await pinata();
    service.faults.next("upload", { kind: "quota" });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError).and.not.be.instanceOf(AuthError);
    expect(error).to.include({ code: "QUOTA", retryable: false });
    expect((error as Error).message).to.contain("125 %");
    expect(service.faults.served).to.deep.equal(["upload:quota"]);
    expect(uploadsOf("POST")).to.have.length(1);
  });

  it("turns a refused JWT into AuthError without the JWT in the message", async () => {
    const wrong = "wrong-pinata-jwt-value-123456";
    const provider = await pinata({ jwt: wrong });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message)
      .to.contain("PINATA_JWT")
      .and.not.contain(wrong)
      .and.not.contain(JWT);

    const revoked = await pinata();
    service.faults.next("upload", { kind: "auth" });
    const midway = await revoked.put(track.request).catch((e: unknown) => e);
    expect(midway).to.be.instanceOf(AuthError);
    expect((midway as Error).message).not.to.contain(JWT);
    expect(service.faults.served).to.deep.equal(["upload:auth"]);
  });

  it("fails with IntegrityError when Pinata reports another CID, saying what that means for Pinata", async () => {
    const provider = await pinata();
    service.faults.next("upload", { kind: "wrong-cid" });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message)
      .to.contain(track.address.cid)
      .and.contain("car=true")
      .and.contain("nothing is minted");
    expect(service.faults.served).to.deep.equal(["upload:wrong-cid"]);
    expect(service.store.held(track.address.cid)).to.equal(undefined);
  });

  it("fails with IntegrityError on a resumable upload that reports another CID", async () => {
    const provider = await pinata({ tusThresholdBytes: 100_000, tusChunkBytes: CHUNK });
    service.faults.next("upload", { kind: "wrong-cid" });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    expect(service.faults.served).to.deep.equal(["upload:wrong-cid"]);
  });

  it("reads back through a gateway that 404s fresh uploads for a second, and gives up past the window", async () => {
    // Backoff from 250 ms, as in a real run: 1 ms steps would spend the looks before the window closes.
    const retry = { retries: 3, minDelayMs: 250, maxDelayMs: 2_000 };
    const provider = await pinata({ retry, readBackWindowMs: 5_000 }, 1_000);
    const started = Date.now();
    await provider.put(track.request);
    expect(Date.now() - started).to.be.at.least(950);
    const looks = service.calls.filter((c) => c.host === "gateway").map((c) => c.status);
    expect(looks[0]).to.equal(404);
    expect(looks.at(-1)).to.equal(200);

    const impatient = await pinata({ retry, readBackWindowMs: 300 }, 5_000);
    const error = await impatient.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError);
    expect(error).to.include({ code: "NOT_FOUND", status: 404 });
  });

  it("detects tampered gateway bytes on read-back and on verify", async () => {
    const provider = await pinata();
    service.faults.next("gateway", { kind: "tamper" });
    const error = await provider.put(track.request).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    const stored = await provider.put(track.request);
    service.faults.next("gateway", { kind: "tamper" });
    expect(await provider.verify(stored).catch((e: unknown) => e)).to.be.instanceOf(IntegrityError);
    expect(service.faults.served).to.deep.equal(["gateway:tamper", "gateway:tamper"]);
  });
});
