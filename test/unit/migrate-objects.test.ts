import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type KnownObject, knownObjectBatches } from "../../pipeline/commands/migrate/known-objects.js";
import { metadataCid } from "../../pipeline/content/index.js";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import type { JournalRecord } from "../../pipeline/ledger/records.js";
import type { ObjectKind, StoredObject } from "../../pipeline/providers/types.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");
const cid = (n: number) => metadataCid(Buffer.from(`object ${n}`)).toString();
const stored = (provider: string, kind: ObjectKind, n: number): StoredObject => ({
  provider,
  kind,
  locator: provider === "local-s3" ? `${kind}/${sha(n)}` : cid(n),
  sha256: sha(n),
  cid: cid(n),
  size: 100 + n,
  reused: false,
});

describe("migration records in the ledger", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-migrate-ledger-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("finds the copies a migration recorded beside the pipeline's, for every track sharing an object", async () => {
    const ledger = await Ledger.open({ workDir: dir });
    const cover = { sha256: sha(9), cid: cid(9), size: 109, mimeType: "image/png", source: "cover-file" };
    for (const n of [1, 2]) {
      const records: JournalRecord[] = [
        {
          type: "track",
          sha256: sha(n),
          file: `album/song${n}.flac`,
          size: 100 + n,
          cid: cid(n),
          profile: "unixfs-v1-2025",
          mimeType: "audio/flac",
        },
        { type: "artwork", sha256: sha(n), artwork: { ...cover, path: "/art/cover.png" } },
        { type: "stored", sha256: sha(n), object: stored("local-s3", "audio", n) },
        { type: "stored", sha256: sha(n), object: stored("ipfs", "audio", n) },
        { type: "stored", sha256: sha(n), object: stored("ipfs", "artwork", 9) },
        // A document built before the cover was found, then the current one: only the current one counts.
        { type: "metadata", sha256: sha(n), cid: cid(30 + n), path: `/work/metadata/${cid(30 + n)}.json` },
        { type: "stored", sha256: sha(n), object: stored("nft-storage", "metadata", 30 + n) },
        { type: "metadata", sha256: sha(n), cid: cid(20 + n), path: `/work/metadata/${cid(20 + n)}.json` },
        { type: "stored", sha256: sha(n), object: stored("ipfs", "metadata", 20 + n) },
      ];
      for (const record of records) await ledger.record(record);
    }
    // What `dcmx migrate --to nft-storage` records: the shared cover once per track, the audio of track 1.
    await ledger.record({ type: "stored", sha256: sha(1), object: stored("nft-storage", "artwork", 9) });
    await ledger.record({ type: "stored", sha256: sha(2), object: stored("nft-storage", "artwork", 9) });
    await ledger.record({ type: "stored", sha256: sha(1), object: stored("nft-storage", "audio", 1) });
    await ledger.close();

    const reopened = await Ledger.open({ workDir: dir });
    try {
      const objects: KnownObject[] = [];
      for await (const batch of knownObjectBatches(reopened, "/music")) objects.push(...batch);
      const byLabel = Object.fromEntries(objects.map((o) => [o.label, o]));
      expect(Object.keys(byLabel).sort()).to.deep.equal([
        "album/song1.flac",
        "album/song1.flac (artwork)",
        "album/song1.flac (metadata)",
        "album/song2.flac",
        "album/song2.flac (metadata)",
      ]);
      const song1 = byLabel["album/song1.flac"]!;
      expect(song1).to.deep.include({
        kind: "audio",
        localPath: "/music/album/song1.flac",
        mimeType: "audio/flac",
        extension: ".flac",
        tracks: [sha(1)],
      });
      expect(song1.address).to.deep.equal({
        size: 101,
        sha256: sha(1),
        cid: cid(1),
        profile: "unixfs-v1-2025",
      });
      const holders = (o: { holders: StoredObject[] }) => o.holders.map((h) => h.provider).sort();
      expect(holders(song1)).to.deep.equal(["ipfs", "local-s3", "nft-storage"]);
      expect(holders(byLabel["album/song2.flac"]!)).to.deep.equal(["ipfs", "local-s3"]);

      const art = byLabel["album/song1.flac (artwork)"]!;
      expect(art).to.deep.include({
        localPath: "/art/cover.png",
        extension: ".png",
        tracks: [sha(1), sha(2)],
      });
      expect(holders(art)).to.deep.equal(["ipfs", "nft-storage"]);

      // The stale document stored on nft-storage before the rebuild is not part of the release.
      const meta = byLabel["album/song1.flac (metadata)"]!;
      expect(meta.address.cid).to.equal(cid(21));
      expect(meta.localPath).to.equal(`/work/metadata/${cid(21)}.json`);
      expect(holders(meta)).to.deep.equal(["ipfs"]);

      // A track a batch: the shared cover comes in both, each time for its own track.
      const batches: Array<Array<[string, string[]]>> = [];
      for await (const batch of knownObjectBatches(reopened, "/music", 1))
        batches.push(
          batch.map((o): [string, string[]] => [o.label, o.tracks]).sort(([a], [b]) => a.localeCompare(b)),
        );
      expect(batches).to.deep.equal([
        [
          ["album/song1.flac", [sha(1)]],
          ["album/song1.flac (artwork)", [sha(1)]],
          ["album/song1.flac (metadata)", [sha(1)]],
        ],
        [
          ["album/song2.flac", [sha(2)]],
          ["album/song2.flac (artwork)", [sha(2)]],
          ["album/song2.flac (metadata)", [sha(2)]],
        ],
      ]);
    } finally {
      await reopened.close();
    }
  });
});
