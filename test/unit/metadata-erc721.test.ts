import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { canonicalJson } from "../../pipeline/metadata/canonical-json.js";
import { buildCollectionMetadata, loadReleaseConfig } from "../../pipeline/metadata/collection.js";
import { encodeMetadata } from "../../pipeline/metadata/encode.js";
import type { ScannedTrack } from "../../pipeline/metadata/scanned-track.js";
import { buildTrackMetadata, TrackMetadataSchema } from "../../pipeline/metadata/track-metadata.js";
import { collectScan } from "../../pipeline/scan/collect-scan.js";
import { audioFixtures } from "../support/audio-fixtures.js";

const GOLDEN = join(import.meta.dirname, "..", "fixtures", "golden");
// UPDATE_GOLDEN=1 rewrites the golden files from the current output (review the diff before committing).
const update = process.env.UPDATE_GOLDEN === "1";

async function expectGolden(name: string, actual: string): Promise<void> {
  const path = join(GOLDEN, name);
  if (update) await writeFile(path, actual);
  expect(actual, `golden ${name}`).to.equal(await readFile(path, "utf8"));
}

/** A track as a scan would give it, with fixed hashes, so its document and CID are the same everywhere. */
const syntheticTrack: ScannedTrack = {
  path: "/music/song1.flac",
  file: "song1.flac",
  nameEncoding: "utf-8",
  content: {
    size: 31_337,
    sha256: "a".repeat(64),
    cid: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
    profile: "unixfs-v1-2025",
  },
  format: "flac",
  mimeType: "audio/flac",
  extension: ".flac",
  audio: {
    codec: "FLAC",
    durationSeconds: 185.4321,
    sampleRate: 44100,
    channels: 2,
    bitsPerSample: 16,
    lossless: true,
  },
  tags: {
    title: "Song One",
    artist: "The Artist feat. Guest",
    artists: ["The Artist", "Guest"],
    album: "First Light",
    trackNumber: 1,
    genre: "Ambient",
    date: "2024-05-01",
    isrc: "USABC2400001",
    bpm: 96,
    key: "F#m",
    composer: ["A. Writer"],
    lyrics: "one line\nanother",
    license: "CC-BY-4.0",
    recordLabel: "Self-released",
    upc: "012345678905",
    releaseType: "album",
    credits: [{ name: "P. Roducer", role: "producer" }],
  },
  artwork: {
    path: "/music/cover.jpg",
    source: "cover-file",
    mimeType: "image/jpeg",
    extension: ".jpg",
    width: 3000,
    height: 3000,
    content: {
      size: 1_234_567,
      sha256: "b".repeat(64),
      cid: "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
      profile: "unixfs-v1-2025",
    },
  },
  duplicates: [],
  modifiedMs: 0,
  ino: 0,
};

describe("ERC-721 track metadata", () => {
  it("builds the exact golden document for a known track, with a CIDv1 raw sha2-256 of its bytes", async () => {
    const metadata = buildTrackMetadata(syntheticTrack, {
      audioCid: syntheticTrack.content.cid,
      artworkCid: syntheticTrack.artwork!.content.cid,
      storj: { bucket: "dcmx-music", key: `audio/${"a".repeat(64)}.flac` },
      externalUrl: "https://example.org/tracks/song-one",
    });
    const { bytes, cid } = encodeMetadata(metadata);
    await expectGolden("synthetic-track.json", `${new TextDecoder().decode(bytes)}\n`);
    expect(cid).to.equal(CID.createV1(raw.code, await sha256.digest(bytes)).toString());
    await expectGolden("synthetic-track.cid", `${cid}\n`);
    expect(metadata).to.include({ losslessAudio: metadata.animation_url, duration: 185 });
    expect(metadata.attributes).to.deep.include({ trait_type: "BPM", value: 96, display_type: "number" });
    expect(metadata.attributes).to.deep.include({ trait_type: "Duration", value: "3:05" });
  });

  it("gives the same bytes whatever order the fields were written in", () => {
    const metadata = buildTrackMetadata(syntheticTrack);
    const reverseKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reverseKeys);
      if (value === null || typeof value !== "object") return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reverseKeys(v)]),
      );
    };
    const reversed = reverseKeys(metadata) as object;
    expect(JSON.stringify(reversed)).to.not.equal(JSON.stringify(metadata));
    expect(canonicalJson(reversed)).to.equal(canonicalJson(metadata));
    expect(encodeMetadata(reversed).cid).to.equal(encodeMetadata(metadata).cid);
  });

  it("leaves lossless audio out of lossy tracks and refuses a document that breaks the schema", () => {
    const lossy = { ...syntheticTrack, format: "mp3" as const, mimeType: "audio/mpeg" };
    lossy.audio = { ...syntheticTrack.audio, lossless: false };
    expect(buildTrackMetadata(lossy).losslessAudio).to.equal(undefined);
    expect(() => buildTrackMetadata(syntheticTrack, { audioCid: "not a cid!" })).to.throw(/animation_url/);
  });

  describe("from real audio", () => {
    let tracks: ScannedTrack[];
    let again: ScannedTrack[];
    before(async () => {
      const fx = await audioFixtures();
      const options = { artworkDir: fx.artworkDir, extractDir: join(fx.dir, "extracted") };
      tracks = (await collectScan(fx.library, options)).tracks;
      again = (await collectScan(fx.library, options)).tracks;
    });

    it("gives every track a document valid under the schema", () => {
      expect(tracks).to.have.length(8);
      for (const track of tracks) TrackMetadataSchema.parse(buildTrackMetadata(track));
    });

    it("gives the same metadata CIDs on a second scan", () => {
      const cids = (list: ScannedTrack[]) => list.map((t) => encodeMetadata(buildTrackMetadata(t)).cid);
      expect(cids(again)).to.deep.equal(cids(tracks));
      expect(new Set(cids(tracks)).size).to.equal(tracks.length);
    });

    for (const [file, golden] of [
      ["01 Morning Tone.mp3", "mp3-tagged.json"],
      ["02 café.flac", "flac-unicode.json"],
      ["05 untagged.wav", "wav-overridden.json"],
    ] as const) {
      it(`builds the golden document for ${file}`, async () => {
        const track = tracks.find((t) => t.file === file)!;
        await expectGolden(golden, `${JSON.stringify(withoutHashes(track), null, 2)}\n`);
      });
    }
  });
});

/**
 * The document with the encoder-dependent bytes (hashes, CIDs, sizes of generated audio and images)
 * replaced by names, so the golden file checks everything we decide and nothing the encoder does.
 */
function withoutHashes(track: ScannedTrack): unknown {
  let text = canonicalJson(buildTrackMetadata(track));
  const names: Array<[string, string]> = [
    [track.content.sha256, "<audio-sha256>"],
    [track.content.cid, "<audio-cid>"],
  ];
  if (track.artwork)
    names.push([track.artwork.content.sha256, "<art-sha256>"], [track.artwork.content.cid, "<art-cid>"]);
  for (const [value, name] of names) text = text.replaceAll(value, name);
  const document = JSON.parse(text);
  document.properties.size = "<audio-size>";
  if (document.properties.artwork) document.properties.artwork.size = "<art-size>";
  return document;
}

describe("ERC-7572 collection metadata", () => {
  it("builds contractURI JSON from release.json and reports bad fields by name", async () => {
    const fx = await audioFixtures();
    const good = join(fx.dir, "release.json");
    await writeFile(
      good,
      JSON.stringify({
        name: "First Light",
        description: "Debut album",
        image: "cover.jpg",
        external_link: "https://example.org",
        collaborators: ["0x000000000000000000000000000000000000dEaD"],
      }),
    );
    await writeFile(join(fx.dir, "cover.jpg"), "an image");
    const release = await loadReleaseConfig(good);
    expect(release.image).to.equal(join(fx.dir, "cover.jpg"));
    const doc = buildCollectionMetadata(release, {
      imageCid: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
    });
    expect(canonicalJson(doc)).to.equal(
      '{"collaborators":["0x000000000000000000000000000000000000dEaD"],"description":"Debut album","external_link":"https://example.org","image":"ipfs://bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq","name":"First Light"}',
    );
    const bad = join(fx.dir, "bad-release.json");
    await writeFile(
      bad,
      JSON.stringify({ name: "X", description: "Y", image: "c.jpg", collaborators: ["me"] }),
    );
    let message = "";
    await loadReleaseConfig(bad).catch((error: Error) => {
      message = error.message;
    });
    expect(message).to.equal(
      `${bad}: collaborators.0: expected a 0x-prefixed 20-byte address — allowed fields: name, symbol, description, image, banner_image, featured_image, external_link, collaborators`,
    );
  });

  it("refuses a release.json image that leads out of its folder, before reading it", async () => {
    const fx = await audioFixtures();
    const release = join(fx.dir, "release-confine", "release.json");
    await mkdir(join(fx.dir, "release-confine"), { recursive: true });
    await writeFile(join(fx.dir, "outside.png"), "private");
    await symlink(join(fx.dir, "outside.png"), join(fx.dir, "release-confine", "linked.png"));
    for (const [image, resolved] of [
      ["../outside.png", join(fx.dir, "outside.png")],
      ["/etc/passwd", "/etc/passwd"],
      ["linked.png", join(fx.dir, "outside.png")],
    ]) {
      await writeFile(release, JSON.stringify({ name: "N", description: "D", image }));
      const error = await loadReleaseConfig(release).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message, image).to.equal(
        `${release}: image: release.json: image = ${JSON.stringify(image)} resolves to ${resolved}, outside the library and the folders given for it; not read — copy the file into the library and name it from there`,
      );
    }
  });
});
