import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { buildCollectionMetadata, loadReleaseConfig } from "../../pipeline/metadata/collection.js";
import { collectScan } from "../../pipeline/scan/collect-scan.js";

describe("examples/library (what the README's first command mints)", () => {
  it("scans without a problem: five formats, overrides applied, cover and embedded art", async () => {
    const root = join(import.meta.dirname, "..", "..", "examples", "library");
    const scan = await collectScan(root, { extractDir: await mkdtemp(join(tmpdir(), "dcmx-example-art-")) });
    expect(scan.problems).to.deep.equal([]);
    expect(scan.tracks.map((t) => [t.file, t.format, t.tags.title, t.artwork?.source])).to.deep.equal([
      ["01 Opening.mp3", "mp3", "Opening", "cover-file"],
      ["02 Drift.flac", "flac", "Drift", "cover-file"],
      ["03 Night Bus.ogg", "ogg", "Night Bus", "cover-file"],
      ["04 Field Recording.wav", "wav", "Field Recording", "cover-file"],
      ["bonus/05 Encore.m4a", "m4a", "Encore", "embedded"],
    ]);
    expect(scan.tracks[2]!.tags.bpm).to.equal(80);
    const release = await loadReleaseConfig(join(root, "release.json"));
    expect(
      buildCollectionMetadata(release, { imageCid: scan.tracks[0]!.artwork!.content.cid }).name,
    ).to.equal("Loopback Sessions");
  });
});
