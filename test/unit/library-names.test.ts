import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { main } from "../../cli/main.js";
import { collectScan, type ScanResult } from "../../pipeline/scan/collect-scan.js";
import { decodeName, escapeControls, libraryName } from "../../pipeline/util/file-name.js";
import { buildHostileNames, type NameCase } from "../support/hostile-names.js";

const CONTROL = /[\p{Cc}]/u;

describe("library scan: names are bytes", function () {
  this.timeout(120_000);
  let dir: string;
  let cases: NameCase[];
  let result: ScanResult;
  const library = () => join(dir, "library");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-names-"));
    cases = await buildHostileNames(dir);
    result = await collectScan(library(), { extractDir: join(dir, "artwork") });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("describes every file whatever its name's bytes, each under its readable name", () => {
    const good = cases.filter((c) => c.duplicateOf === undefined);
    expect(result.problems.filter((p) => p.severity === "error")).to.deep.equal([]);
    expect(result.tracks.map((t) => t.file).sort()).to.deep.equal(good.map((c) => c.display).sort());
  });

  it("opens each track by its exact bytes and keeps them, losslessly, for the journal", async () => {
    for (const c of cases.filter((c) => c.duplicateOf === undefined)) {
      const track = result.tracks.find((t) => t.file === c.display)!;
      const bytes =
        track.nameBytes === undefined ? Buffer.from(track.file) : Buffer.from(track.nameBytes, "base64");
      expect(bytes.equals(c.bytes), `${c.what}: journal key round-trips`).to.equal(true);
      const onDisk = await readFile(Buffer.concat([Buffer.from(`${library()}/`), c.bytes]));
      expect(track.content.sha256, c.what).to.equal(createHash("sha256").update(onDisk).digest("hex"));
    }
  });

  it("marks a guessed decoding, and titles an untitled track with the decoded name", () => {
    const sjis = result.tracks.find((t) => t.file.startsWith("あいう"))!;
    expect(sjis.nameEncoding).to.equal("shift_jis");
    expect(sjis.tags.title).to.equal("あいう テスト");
    const latin = result.tracks.find((t) => t.file.startsWith("Schöne"))!;
    expect(latin.nameEncoding).to.equal("cp1252");
    expect(latin.tags.title).to.equal("Schöne Grüße");
    expect(result.tracks.find((t) => t.file === "Café.mp3")?.nameEncoding).to.equal("utf-8");
  });

  it("tells an NFD name from its NFC twin, and takes a same-bytes copy as a duplicate", () => {
    const cafes = result.tracks.filter((t) => t.file.normalize("NFC").startsWith("Café.mp3"));
    expect(cafes.map((t) => t.file)).to.have.length(2);
    expect(new Set(cafes.map((t) => t.file)).size, "two distinct display names").to.equal(2);
    const copy = cases.find((c) => c.duplicateOf !== undefined)!;
    const duplicate = result.problems.find((p) => p.code === "DUPLICATE");
    expect(duplicate?.file).to.equal(copy.display);
    const original = result.tracks.find((t) => t.file === copy.duplicateOf!.display);
    expect(original?.duplicates).to.deep.equal([copy.display]);
  });

  it("never puts a control character or newline in a name, a problem or the table", async () => {
    for (const t of result.tracks) expect(CONTROL.test(t.file), t.file).to.equal(false);
    for (const p of result.problems) expect(CONTROL.test(p.message), p.message).to.equal(false);
    const lines: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(" "));
    try {
      await main(["scan", library(), "--extract-dir", join(dir, "artwork")]);
      await main(["scan", library(), "--json", "--extract-dir", join(dir, "artwork")]);
    } finally {
      console.log = original;
    }
    const table = lines[0]!.split("\n");
    expect(table.filter((l) => /Hostile Names/.test(l))).to.have.length(cases.length - 1);
    expect(CONTROL.test(lines[0]!.replaceAll("\n", ""))).to.equal(false);
    const json = JSON.parse(lines[1]!) as { tracks: Array<{ file: string }> };
    expect(json.tracks).to.have.length(cases.length - 1);
  });

  it("decodes UTF-8 first, then Shift-JIS only when it spells kana, else CP-1252", () => {
    expect(decodeName(Buffer.from("日本語"))).to.deep.equal({ text: "日本語", encoding: "utf-8" });
    expect(decodeName(Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67])).encoding).to.equal("shift_jis");
    // Valid Shift-JIS (a half-width katakana), but Latin-1 "Ém" is the likelier reading.
    expect(decodeName(Buffer.from([0xc9, 0x6d])).encoding).to.equal("cp1252");
    expect(escapeControls("a\nb\tc\x1bd\u202ee")).to.equal("a\\nb\\tc\\x1bd\\u{202e}e");
    expect(libraryName([Buffer.from("plain.mp3")])).to.deep.equal({
      display: "plain.mp3",
      text: "plain.mp3",
      encoding: "utf-8",
      bytes: undefined,
    });
  });
});
