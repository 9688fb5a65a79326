import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { collectScan, type ScanResult } from "../../pipeline/scan/collect-scan.js";
import { mp3, toneWav } from "../support/audio-fixtures.js";

/** ID3v2.3 tags written byte by byte: what tag editors and damaged copies produce, which encoders refuse to. */
const syncsafe = (n: number) => Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
const id3 = (frames: Buffer[], claimedSize?: number) => {
  const body = Buffer.concat(frames);
  return Buffer.concat([
    Buffer.from("ID3\x03\x00\x00", "latin1"),
    syncsafe(claimedSize ?? body.length),
    body,
  ]);
};
const frame = (id: string, data: Buffer, claimedSize?: number) => {
  const header = Buffer.alloc(10);
  header.write(id, 0, "latin1");
  header.writeUInt32BE(claimedSize ?? data.length, 4);
  return Buffer.concat([header, data]);
};
const text = (value: string) => Buffer.concat([Buffer.from([0]), Buffer.from(value, "latin1")]);
const ARTIST = frame("TPE1", text("Tag Artist"));
const TEN_MB = 10 * 2 ** 20;

describe("library scan: hostile tags", function () {
  this.timeout(120_000);
  let dir: string;
  let result: ScanResult;
  const problem = (file: string, code: string) =>
    result.problems.find((p) => p.file === file && p.code === code);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-tags-"));
    const lib = join(dir, "library");
    await mkdir(lib);
    const lyrics = Buffer.concat([Buffer.from("\0eng\0", "latin1"), Buffer.alloc(TEN_MB, 0x61)]);
    // A front cover of 21 MB: PNG bytes, over the 20 MB artwork limit.
    const png = Buffer.alloc(21 * 2 ** 20);
    Buffer.from("89504e470d0a1a0a", "hex").copy(png);
    const picture = Buffer.concat([Buffer.from("\0image/png\0\x03\0", "latin1"), png]);
    const cases: Array<[string, Buffer]> = [
      ["nul-title.mp3", id3([frame("TIT2", text("Tit\0le")), ARTIST])],
      ["escape-artist.mp3", id3([frame("TIT2", text("Fine")), frame("TPE1", text("Red\x1b[31m"))])],
      ["lyrics.mp3", id3([frame("TIT2", text("Long Lyrics")), ARTIST, frame("USLT", lyrics)])],
      ["frame-gb.mp3", id3([frame("TIT2", text("Giga frame"), 0x7ffffff0), ARTIST])],
      ["tag-gb.mp3", id3([frame("TIT2", text("Giga tag")), ARTIST], 0x0ffffff0)],
      ["huge-picture.mp3", id3([frame("TIT2", text("Huge Picture")), ARTIST, frame("APIC", picture)])],
    ];
    for (const [i, [name, tag]] of cases.entries()) {
      await toneWav(join(dir, "tone.wav"), 1, 300 + 50 * i);
      await mp3(join(dir, "tone.wav"), join(dir, "raw.mp3"));
      await writeFile(join(lib, name), Buffer.concat([tag, await readFile(join(dir, "raw.mp3"))]));
    }
    result = await collectScan(lib, { extractDir: join(dir, "artwork") });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("drops a tag holding a NUL or a terminal escape, naming the field", () => {
    expect(problem("nul-title.mp3", "BAD_TAG")?.message).to.match(
      /^nul-title\.mp3: tags\.title: tag ignored: must not contain control characters/,
    );
    expect(result.tracks.find((t) => t.file === "nul-title.mp3")?.tags.title).to.equal("nul-title");
    // Without its artist the track cannot be minted: the error comes with the reason the tag was dropped.
    expect(problem("escape-artist.mp3", "BAD_TAG")?.field).to.equal("tags.artist");
    expect(problem("escape-artist.mp3", "NO_ARTIST")?.severity).to.equal("error");
    for (const t of result.tracks) expect(JSON.stringify(t.tags)).to.not.match(/\\u00(00|1b)/);
  });

  it("drops 10 MB of lyrics with a warning that quotes only the start of them", () => {
    const warning = problem("lyrics.mp3", "BAD_TAG");
    expect(warning?.field).to.equal("tags.lyrics");
    expect(warning?.message).to.include(`must be at most 100000 characters (got "aaa`);
    expect(warning?.message).to.include(`(${TEN_MB + 2} characters)`);
    expect(warning!.message.length).to.be.below(400);
    expect(result.tracks.find((t) => t.file === "lyrics.mp3")?.tags.lyrics).to.equal(undefined);
  });

  it("names the file of an ID3 tag or frame claiming gigabytes, without reading them", () => {
    expect(problem("tag-gb.mp3", "UNREADABLE_AUDIO")?.message).to.match(
      /^tag-gb\.mp3: content: cannot be parsed as audio \(ID3v2 tag size 268435440 exceeds remaining file size \d+\)/,
    );
    // The frame's claim swallows the tag: no artist is left, and the error says which file and field.
    expect(problem("frame-gb.mp3", "NO_ARTIST")?.field).to.equal("artist");
    expect(result.tracks.map((t) => t.file).sort()).to.deep.equal([
      "huge-picture.mp3",
      "lyrics.mp3",
      "nul-title.mp3",
    ]);
  });

  it("skips an embedded picture over the size limit with a warning, and keeps the track without it", () => {
    expect(problem("huge-picture.mp3", "ARTWORK")?.message).to.equal(
      `huge-picture.mp3: artwork: embedded picture: the image is ${21 * 2 ** 20} bytes, over the 20000000-byte limit — export a smaller image`,
    );
    expect(problem("huge-picture.mp3", "ARTWORK")?.severity).to.equal("warning");
    expect(result.tracks.find((t) => t.file === "huge-picture.mp3")?.artwork).to.equal(undefined);
  });
});
