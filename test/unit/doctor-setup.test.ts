import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { checkNode } from "../../pipeline/commands/doctor/chain-checks.js";
import type { Finding } from "../../pipeline/commands/doctor/finding.js";
import { runDoctor } from "../../pipeline/commands/doctor/run-doctor.js";
import { freePort, startHardhatNode } from "../support/hardhat-node.js";
import { startPinningService } from "../support/ipfs-pinning-service.js";
import { startPinataService } from "../support/ipfs-service/pinata.js";

const TOKEN = "doctor-right-token-4821";
const WRONG = "doctor-wrong-token-9377";
const EXAMPLE = new URL("../../.env.storage.example", import.meta.url).pathname;
const ORIGIN = "/dns4/ipfs.artist.example/tcp/4001/p2p/12D3KooWPublicNodeOfTheArtist";

/** `dcmx doctor`'s checks on configurations a user really writes, against a real pinning service on loopback. */
describe("dcmx doctor", function () {
  this.timeout(60_000);
  let dir: string;
  let service: Awaited<ReturnType<typeof startPinningService>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-doctor-test-"));
    service = await startPinningService({ token: TOKEN });
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function doctor(env: Record<string, string>, dotEnv?: string, rpc?: string): Promise<Finding[]> {
    const envFile = join(dir, `${Math.random()}.env`);
    if (dotEnv !== undefined) await writeFile(envFile, dotEnv);
    return runDoctor({ env, envFile, exampleFile: EXAMPLE, rpc });
  }
  const find = (findings: Finding[], check: string) => findings.find((f) => f.check === check)!;
  const text = (findings: Finding[]) => JSON.stringify(findings);

  it("passes on the embedded defaults, saying what is not configured", async () => {
    const findings = await doctor({});
    expect(findings.filter((f) => f.status === "fail")).to.deep.equal([]);
    expect(find(findings, "provider storj").status).to.equal("info");
    expect(find(findings, ".env").message).to.include("no ");
    // The sample library (~0.5 MB, every file counted) twice: local S3 and the IPFS repo, on one disk.
    expect(find(findings, "local disk").status).to.equal("ok");
    expect(find(findings, "local disk").message).to.match(
      /: [\d.]+ [KMGT]?B free for up to (9\d\d\.\d KB|1\.\d MB) of embedded copies$/,
    );
  });

  it("names a missing half of a credential pair without printing the other half", async () => {
    const findings = await doctor({
      STORJ_ACCESS_KEY: "jw-access-key-AKIA-7731",
      PINNING_SERVICE_ENDPOINT: service.url,
    });
    const storj = find(findings, "provider storj");
    expect(storj.status).to.equal("fail");
    expect(storj.message).to.include("STORJ_SECRET_KEY");
    const ipfs = find(findings, "IPFS configuration");
    expect(ipfs.status).to.equal("fail");
    expect(ipfs.message).to.include("PINNING_SERVICE_TOKEN");
    expect(text(findings)).not.to.include("jw-access-key-AKIA-7731");
  });

  it("names malformed values and a misspelt variable in .env", async () => {
    const findings = await doctor(
      { STORJ_ENDPOINT: "gateway.storjshare.io", MAX_CONCURRENT_UPLOADS: "lots" },
      "STORJ_ACCES_KEY=abc\nMAX_CONCURRENT_UPLOADS=lots\n",
    );
    expect(find(findings, "provider storj")).to.include({ status: "fail" });
    expect(find(findings, "provider storj").message).to.include("STORJ_ENDPOINT");
    expect(find(findings, "pipeline settings").message).to.include("MAX_CONCURRENT_UPLOADS");
    const typo = find(findings, ".env");
    expect(typo.status).to.equal("warn");
    expect(typo.message).to.include("STORJ_ACCES_KEY");
    expect(typo.fix).to.include("STORJ_ACCESS_KEY");
  });

  it("reports credentials a real service refuses, and accepts the right ones, never printing a token", async () => {
    const wrong = await doctor({
      PINNING_SERVICE_ENDPOINT: service.url,
      PINNING_SERVICE_TOKEN: WRONG,
      PINNING_SERVICE_ORIGINS: ORIGIN,
    });
    const refused = find(wrong, "provider pinning-service");
    expect(refused.status).to.equal("fail");
    expect(refused.message).to.match(/credentials refused/);
    expect(refused.fix).to.include("PINNING_SERVICE_TOKEN");
    expect(text(wrong)).not.to.include(WRONG);

    const right = await doctor({
      PINNING_SERVICE_ENDPOINT: service.url,
      PINNING_SERVICE_TOKEN: TOKEN,
      PINNING_SERVICE_ORIGINS: ORIGIN,
    });
    expect(find(right, "provider pinning-service").status).to.equal("ok");
    expect(text(right)).not.to.include(TOKEN);
  });

  it("reports a Pinata JWT the service refuses, naming PINATA_JWT, and accepts the right one (contract test, stand-in)", async () => {
    const pinata = await startPinataService({ jwt: TOKEN });
    try {
      const env = {
        PINATA_UPLOAD_URL: pinata.uploadUrl,
        PINATA_API_URL: pinata.apiUrl,
        PINATA_GATEWAY_URL: pinata.gatewayUrl,
      };
      const wrong = await doctor({ ...env, PINATA_JWT: WRONG });
      const refused = find(wrong, "provider pinata");
      expect(refused.status).to.equal("fail");
      expect(refused.message).to.match(/credentials refused/);
      expect(refused.fix).to.include("PINATA_JWT");
      expect(text(wrong)).not.to.include(WRONG);

      const right = await doctor({ ...env, PINATA_JWT: TOKEN });
      expect(find(right, "provider pinata").status).to.equal("ok");
      expect(text(right)).not.to.include(TOKEN);
    } finally {
      await pinata.close();
    }
  });

  it("says a closed service is closed, where to move, and never contacts it", async () => {
    const findings = await doctor({ NFT_STORAGE_TOKEN: "nft-only-token-7781" });
    const nft = find(findings, "provider nft-storage");
    expect(nft.status).to.equal("warn");
    expect(nft.message)
      .to.include("stopped taking uploads on 2024-06-30")
      .and.include("Filecoin Onchain Cloud");
    expect(find(findings, "remote IPFS backup").status).to.equal("info");
    expect(text(findings)).not.to.include("nft-only-token-7781");
  });

  it("warns that a pinning service with no reachable origin cannot fetch from this machine", async () => {
    const before = service.requests.length;
    const findings = await doctor({ PINNING_SERVICE_ENDPOINT: service.url, PINNING_SERVICE_TOKEN: TOKEN });
    const psa = find(findings, "provider pinning-service");
    expect(psa.status).to.equal("warn");
    expect(psa.message).to.include("127.0.0.1").and.include("PINNING_SERVICE_ORIGINS");
    expect(service.requests.length).to.equal(before);
  });

  it("warns on a public network with no remote IPFS backend", async function () {
    this.timeout(120_000);
    const node = await startHardhatNode({ chainId: 11155111 });
    try {
      const findings = await doctor({}, undefined, node.url);
      const reach = find(findings, "remote IPFS backup");
      expect(reach.status).to.equal("warn");
      expect(reach.message).to.match(
        /^on chain 11155111 at http:\/\/127\.0\.0\.1:\d+ no remote IPFS backend is configured: tokens would point at content only this machine has/,
      );
      const local = await doctor({}, undefined, undefined);
      expect(find(local, "remote IPFS backup").status).to.equal("info");
    } finally {
      await node.stop();
    }
  });

  it("fails an RPC that does not answer and a Node.js that is too old", async () => {
    const findings = await doctor({}, undefined, `http://127.0.0.1:${await freePort()}`);
    expect(find(findings, "RPC").status).to.equal("fail");
    expect(checkNode("20.20.2").status).to.equal("fail");
    expect(checkNode("22.13.0").status).to.equal("ok");
  });
});
