import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import type { ServiceStandIn } from "../support/ipfs-service/form-upload.js";
import { startKuboStandIn } from "../support/ipfs-service/kubo-rpc.js";
import { startLighthouseStandIn } from "../support/ipfs-service/lighthouse.js";
import { generateLibrary } from "../support/library-generator.js";

/**
 * The README's main job against each push-and-verify backend's stand-in, with the faults that break real
 * runs scripted during the run: a 429 (Retry-After: 1), an upload cut off by a 5xx, a read-back that 404s
 * for the first second after every upload, and one upload answered with a CID other than ours.
 */
describe("main job with a push-and-verify IPFS backend (end to end, contract test, stand-in)", function () {
  // The pipeline takes ~14 s of each run; starting `hardhat run` takes most of the rest on a busy machine.
  this.timeout(180_000);
  let chain: HardhatNode;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-push-verify-"));
    chain = await startHardhatNode();
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function mintAgainst(
    name: string,
    service: ServiceStandIn,
    uploadOperation: string,
    backendEnv: Record<string, string>,
    secret: string,
  ) {
    await generateLibrary(join(dir, name), 4, { prefix: name });
    service.store.invisibleMs = 1_000;
    service.faults.next(
      uploadOperation,
      { kind: "rate-limit", retryAfter: 1 },
      { kind: "server-error" },
      { kind: "wrong-cid" },
    );
    const env = {
      DCMX_LIBRARY: join(dir, name, "library"),
      DCMX_WORKDIR: join(dir, name, "work"),
      LOCALHOST_RPC_URL: chain.url,
      IPFS_GATEWAY_PORT: "0",
      ...backendEnv,
    };
    const run = await runMintLibrary(env);
    const report = RunReportSchema.parse(
      JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")),
    );

    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.not.include(secret);
    for (const kind of ["rate-limit", "server-error", "wrong-cid"])
      expect(service.faults.served).to.include(`${uploadOperation}:${kind}`);
    expect(service.faults.served).to.include("gateway:not-yet-visible");

    // The one object answered with another CID fails its track, which is not minted.
    expect(service.misreported).to.have.length(1);
    const { stored, reported } = service.misreported[0]!;
    const failed = report.tracks.filter((t) => t.status === "failed");
    expect(failed, JSON.stringify(report.tracks, null, 1)).to.have.length(1);
    expect(failed[0]!.tokenId).to.equal(null);
    expect(failed[0]!.error).to.contain(stored).and.contain(CID.parse(reported).toV1().toString());

    const minted = report.tracks.filter((t) => t.status === "minted");
    expect(minted, run.output).to.have.length(3);
    for (const track of minted) {
      expect(track.tokenId).to.not.equal(null);
      expect(track.ipfsProviders).to.include(name);
      expect(service.store.held(track.cid), `${track.file} audio`).to.not.equal(undefined);
      expect(service.store.held(track.metadataCid!), `${track.file} metadata`).to.not.equal(undefined);
    }
  }

  it("Kubo RPC: stores every minted track's audio and metadata, and fails the track whose root came back wrong", async () => {
    const token = "kubo-e2e-bearer-token-4242";
    const service = await startKuboStandIn({ authSecrets: [`bearer:${token}`] });
    try {
      await mintAgainst(
        "kubo",
        service,
        "dag/import",
        {
          KUBO_RPC_URL: service.url,
          KUBO_RPC_AUTH: `Bearer ${token}`,
          KUBO_GATEWAY_URL: service.gatewayUrl,
        },
        token,
      );
    } finally {
      await service.close();
    }
  });

  it("Lighthouse: stores every minted track's audio and metadata, and fails the track whose Hash came back wrong", async () => {
    const key = "lighthouse-e2e-api-key-4242";
    const service = await startLighthouseStandIn({ apiKey: key });
    try {
      await mintAgainst(
        "lighthouse",
        service,
        "upload",
        {
          LIGHTHOUSE_API_KEY: key,
          LIGHTHOUSE_API_URL: service.url,
          LIGHTHOUSE_GATEWAY_URL: service.gatewayUrl,
        },
        key,
      );
    } finally {
      await service.close();
    }
  });
});
