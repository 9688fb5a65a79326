import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { expect } from "chai";
import { createPublicClient, http } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { metadataCid } from "../../pipeline/content/metadata-cid.js";
import { TrackMetadataSchema } from "../../pipeline/metadata/track-metadata.js";
import { loadIpfsConfig } from "../../pipeline/providers/ipfs/config.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { probeAudio } from "../support/audio-fixtures.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";

const LIBRARY = join(import.meta.dirname, "..", "..", "examples", "library");
/** The sample masters OpenSea cannot play: they must reach it as MP3 previews. */
const NEEDS_PREVIEW = ["02 Drift.flac", "bonus/05 Encore.m4a"];

/**
 * The README's main job on examples/library against a `hardhat node`, twice: every track's animation_url is
 * then fetched from the embedded node's gateway and probed, and the chain is asked for each token's hash.
 */
describe("previews: every sample track plays through its animation_url (main job, hardhat node)", function () {
  this.timeout(180_000);
  let chain: HardhatNode;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-preview-e2e-"));
    chain = await startHardhatNode();
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("FLAC and M4A masters get MP3 previews as long as the master, the chain keeps the master's hash, a re-run encodes nothing", async () => {
    const env = {
      DCMX_LIBRARY: LIBRARY,
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: chain.url,
      IPFS_GATEWAY_PORT: "0",
    };
    const readReport = async () =>
      RunReportSchema.parse(JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")));
    const first = await runMintLibrary(env);
    expect(first.code, first.output).to.equal(0);
    expect((await readReport()).totals.previewsEncoded).to.equal(NEEDS_PREVIEW.length);

    const second = await runMintLibrary(env);
    expect(second.code, second.output).to.equal(0);
    const report = await readReport();
    expect(report.totals.previewsEncoded, "a re-run encodes nothing").to.equal(0);
    expect(report.totals.uploadedBytes).to.equal(0);
    expect(report.totals.mintTransactions).to.equal(0);

    const node = await new EmbeddedIpfsNode().start({ directory: loadIpfsConfig({}, env.DCMX_WORKDIR).repo });
    try {
      const gateway = await node.serve({ port: 0 });
      const client = createPublicClient({ transport: http(chain.url) });
      for (const track of report.tracks) {
        const master = join(LIBRARY, track.file);
        const sha256 = createHash("sha256")
          .update(await readFile(master))
          .digest("hex");
        const onChain = await client.readContract({
          address: report.chain!.contract as `0x${string}`,
          abi: tracksAbi,
          functionName: "contentHashOf",
          args: [BigInt(track.tokenId!)],
        });
        expect(onChain, `${track.file}: the chain records the master's SHA-256`).to.equal(`0x${sha256}`);

        const document = new Uint8Array(
          await (await fetch(`${gateway}/ipfs/${track.metadataCid}`)).arrayBuffer(),
        );
        expect(metadataCid(document).toString()).to.equal(track.metadataCid);
        const metadata = TrackMetadataSchema.parse(JSON.parse(new TextDecoder().decode(document)));
        expect(metadata.properties.sha256).to.equal(sha256);
        expect(metadata.properties.storage.ipfs, "the master stays referenced").to.equal(
          `ipfs://${track.cid}`,
        );

        const played = join(dir, `played-${track.sha256}`);
        const response = await fetch(`${gateway}/ipfs/${metadata.animation_url.slice("ipfs://".length)}`);
        expect(response.status, track.file).to.equal(200);
        await pipeline(Readable.fromWeb(response.body! as never), createWriteStream(played));
        const probe = await probeAudio(played);
        const length = (await probeAudio(master)).seconds;
        if (NEEDS_PREVIEW.includes(track.file)) {
          expect(metadata.properties.preview?.mimeType, track.file).to.equal("audio/mpeg");
          expect(track.preview?.mimeType).to.equal("audio/mpeg");
          expect(metadata.animation_url).to.equal(`ipfs://${track.preview?.cid}`);
          expect(probe.container, track.file).to.equal("mp3");
          expect(probe.codec, track.file).to.equal("mp3");
          expect(probe.seconds, track.file).to.be.closeTo(length, 0.1);
          expect(metadata.mimeType, "the music fields describe the master").to.equal(track.mimeType);
        } else {
          expect(metadata.animation_url, track.file).to.equal(`ipfs://${track.cid}`);
          expect(metadata.properties.preview).to.equal(undefined);
          expect(track.preview).to.equal(null);
          expect(
            createHash("sha256")
              .update(await readFile(played))
              .digest("hex"),
          ).to.equal(sha256);
        }
      }
    } finally {
      await node.stop();
    }
  });
});
