import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { metadataCid } from "../../pipeline/content/metadata-cid.js";
import { DecentralizedStorageManager } from "../../pipeline/manager.js";
import { encodeMetadata } from "../../pipeline/metadata/encode.js";

const LIBRARY = new URL("../../examples/library/", import.meta.url).pathname;

/** The programmatic API on embedded defaults (local S3 + embedded IPFS node in a temp work directory). */
describe("DecentralizedStorageManager (embedded defaults)", function () {
  this.timeout(120_000);
  let dir: string;
  let manager: DecentralizedStorageManager;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-manager-"));
    manager = await DecentralizedStorageManager.fromEnv({
      env: { IPFS_GATEWAY_PORT: "0" },
      overrides: { workDir: dir },
    });
  });
  after(async () => {
    await manager?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("uploads audio to the S3 primary and the IPFS backup, then finds it again without sending bytes", async () => {
    const first = await manager.uploadAudioFile(join(LIBRARY, "01 Opening.mp3"), { title: "Opening" });
    expect(first.stored.map((o) => o.provider).sort()).to.deep.equal(["ipfs", "local-s3"]);
    expect(first.urls["local-s3"]).to.match(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(first.failures).to.deep.equal([]);
    const again = await manager.uploadAudioFile(join(LIBRARY, "01 Opening.mp3"));
    expect(again.contentHash).to.equal(first.contentHash);
    // Each provider found the object it already holds and sent no byte of it again.
    expect(again.stored.map((o) => [o.provider, o.reused])).to.have.deep.members([
      ["ipfs", true],
      ["local-s3", true],
    ]);
    expect(again.stored.map((o) => o.cid)).to.deep.equal(first.stored.map((o) => o.cid));
  });

  it("pins metadata under the CID of its canonical bytes", async () => {
    const document = { name: "Opening", description: "test" };
    const pinned = await manager.uploadNftMetadata(document);
    expect(pinned.cid).to.equal(metadataCid(encodeMetadata(document).bytes).toString());
    expect(pinned.url).to.equal(`ipfs://${pinned.cid}`);
    expect(pinned.stored.map((o) => o.provider)).to.deep.equal(["ipfs"]);
  });

  it("refuses audio that is not audio, naming the file", async () => {
    const error = await manager.uploadAudioFile(join(LIBRARY, "cover.jpg")).catch((e: unknown) => e);
    expect((error as Error).message).to.equal(
      "cover.jpg: content: is not audio: its bytes are image/jpeg — pass an MP3, FLAC, Ogg, WAV, AIFF or M4A file",
    );
  });

  it("runs the complete-track workflow and reports usage", async () => {
    const track = await manager.uploadCompleteTrack({
      audioFilePath: join(LIBRARY, "02 Drift.flac"),
      trackMetadata: {
        artist: "Artist Name",
        title: "Song Title",
        album: "Album Name",
        description: "Limited edition #1",
      },
    });
    expect(track.nftMetadataUrl).to.equal(`ipfs://${track.metadataCid}`);
    expect(track.contentHash).to.match(/^[0-9a-f]{64}$/);
    const stats = await manager.getStorageStats();
    expect(stats.objects).to.be.greaterThan(0);
    expect(stats.bytes).to.be.greaterThan(0);
  });
});
