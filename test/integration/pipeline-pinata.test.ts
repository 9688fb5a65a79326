import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, http } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { tempDir } from "../support/ipfs-fixtures.js";
import { type PinataService, startPinataService } from "../support/ipfs-service/pinata.js";
import { generateLibrary } from "../support/library-generator.js";

const JWT = "pinata-e2e-jwt.eyJzY29wZSI6InVwbG9hZCJ9.signature";

/**
 * The README's main command with Pinata as the IPFS backup (contract test, stand-in): a rate limit, an
 * upload cut off by a 5xx and a gateway that hides fresh uploads for a second are survived; the one upload
 * Pinata answers with another CID fails its track, which is not minted.
 */
describe("pipeline end to end with Pinata (contract test, stand-in)", function () {
  this.timeout(240_000);
  let node: HardhatNode;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let service: PinataService;

  before(async () => {
    dir = await tempDir();
    [node, service] = await Promise.all([
      startHardhatNode(),
      startPinataService({ jwt: JWT, invisibleMs: 1_000 }),
    ]);
  });
  after(async () => {
    await service?.close();
    await node?.stop();
    await dir?.remove();
  });

  it("mints every track Pinata holds under our CIDs and fails the one it reports another CID for", async () => {
    await generateLibrary(dir.path, 4);
    const env = {
      DCMX_LIBRARY: join(dir.path, "library"),
      DCMX_WORKDIR: join(dir.path, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
      IPFS_READBACK_WINDOW_SECONDS: "10",
      PINATA_JWT: JWT,
      PINATA_UPLOAD_URL: service.uploadUrl,
      PINATA_API_URL: service.apiUrl,
      PINATA_GATEWAY_URL: service.gatewayUrl,
    };
    service.faults.next(
      "upload",
      { kind: "rate-limit", retryAfter: 1 },
      { kind: "server-error", status: 503 },
      { kind: "wrong-cid" },
    );

    const run = await runMintLibrary(env);

    expect(run.code, run.output).to.equal(1);
    expect(run.output).not.to.contain(JWT);
    expect(service.faults.served).to.deep.equal([
      "upload:rate-limit",
      "upload:server-error",
      "upload:wrong-cid",
    ]);
    const gatewayStatuses = service.calls.filter((c) => c.host === "gateway").map((c) => c.status);
    expect(gatewayStatuses).to.include(404).and.include(200);

    const report = RunReportSchema.parse(
      JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")),
    );
    expect(report.tracks).to.have.length(4);
    const failed = report.tracks.filter((t) => t.status === "failed");
    const minted = report.tracks.filter((t) => t.status === "minted");
    expect(failed, JSON.stringify(report.tracks, null, 2)).to.have.length(1);
    expect(minted).to.have.length(3);
    expect(failed[0]!.tokenId).to.equal(null);
    expect(failed[0]!.error).to.contain("pinata reported CID").and.contain("car=true");
    for (const track of minted) {
      expect(service.store.held(track.cid), `${track.file} audio on Pinata`).not.to.equal(undefined);
      expect(service.store.held(track.metadataCid!), `${track.file} metadata on Pinata`).not.to.equal(
        undefined,
      );
    }
    const client = createPublicClient({ transport: http(node.url) });
    const supply = await client.readContract({
      address: report.chain!.contract as `0x${string}`,
      abi: tracksAbi,
      functionName: "totalSupply",
    });
    expect(supply).to.equal(3n);
  });
});
