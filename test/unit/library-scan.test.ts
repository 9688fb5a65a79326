import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { main } from "../../cli/main.js";
import { addressFile } from "../../pipeline/content/address.js";
import { type ScannedTrack, ScannedTrackSchema } from "../../pipeline/metadata/scanned-track.js";
import { collectScan, type ScanResult } from "../../pipeline/scan/collect-scan.js";
import { scanLibrary } from "../../pipeline/scan/scan-library.js";
import { type AudioFixtures, audioFixtures, toneWav } from "../support/audio-fixtures.js";

describe("library scan on real audio", () => {
  let fx: AudioFixtures;
  let result: ScanResult;
  const problem = (file: string, code: string) =>
    result.problems.find((p) => p.file === file && p.code === code);
  const track = (file: string) => {
    const found = result.tracks.find((t) => t.file === file);
    expect(found, `${file} is a track`).to.not.equal(undefined);
    return found!;
  };

  before(async () => {
    fx = await audioFixtures();
    result = await collectScan(fx.library, {
      artworkDir: fx.artworkDir,
      extractDir: join(fx.dir, "extracted"),
    });
  });

  it("finds every format by its bytes, in a deterministic order, one track per distinct file", () => {
    expect(result.tracks.map((t) => [t.file, t.format, t.mimeType])).to.deep.equal([
      ["01 Morning Tone.mp3", "mp3", "audio/mpeg"],
      ["02 café.flac", "flac", "audio/flac"],
      ["05 untagged.wav", "wav", "audio/wav"],
      ["06 aac.m4a", "m4a", "audio/mp4"],
      ["07 sox.aiff", "aiff", "audio/aiff"],
      ["album/03 vorbis.ogg", "ogg", "audio/ogg"],
      ["album/04 opus.opus", "opus", "audio/ogg"],
      ["huge/08 huge art.flac", "flac", "audio/flac"],
    ]);
    for (const t of result.tracks) ScannedTrackSchema.parse(t);
  });

  it("keeps the one-pass SHA-256 and size of each file", async () => {
    const t = track("02 café.flac");
    const bytes = await readFile(t.path);
    expect(t.content.sha256).to.equal(createHash("sha256").update(bytes).digest("hex"));
    expect(t.content.size).to.equal(bytes.byteLength);
    expect(t.content).to.deep.equal(await addressFile(t.path, { profile: "unixfs-v1-2025" }));
  });

  it("reads tags, technical facts and unicode from the files", () => {
    const mp3 = track("01 Morning Tone.mp3");
    expect(mp3.tags).to.include({
      title: "Morning Tone",
      artist: "Test Artist",
      album: "Fixtures",
      bpm: 120,
    });
    expect(mp3.tags).to.include({
      key: "Am",
      isrc: "USABC2400001",
      date: "2024",
      trackNumber: 1,
      trackTotal: 7,
    });
    expect(mp3.tags.composer).to.deep.equal(["C. Writer"]);
    expect(mp3.audio).to.include({ lossless: false, sampleRate: 44100, channels: 2, bitrate: 128000 });
    const flac = track("02 café.flac");
    expect(flac.tags).to.include({
      title: "Café – 東京 🎵",
      artist: "Ünïcode Artist",
      lyrics: "line one\nline two",
    });
    expect(flac.tags).to.include({ license: "CC-BY-4.0", date: "2023-05-01" });
    expect(flac.audio).to.include({ lossless: true, durationSeconds: 2, bitsPerSample: 16 });
  });

  it("applies metadata.json over the tags, and falls back to the file name for a missing title", () => {
    expect(track("01 Morning Tone.mp3").tags.genre).to.equal("Drone");
    expect(track("05 untagged.wav").tags).to.include({
      title: "Untitled Sketch",
      artist: "Override Artist",
      date: "2022",
    });
    expect(track("07 sox.aiff").tags).to.include({ title: "07 sox", artist: "Sox Artist" });
    expect(problem("07 sox.aiff", "NO_TITLE")?.severity).to.equal("warning");
    expect(problem("metadata.json", "METADATA_UNUSED")?.message).to.include("no such track");
  });

  it("takes artwork in order: metadata.json, artwork dir, cover beside the audio, embedded", () => {
    const sources = Object.fromEntries(result.tracks.map((t) => [t.file, t.artwork?.source]));
    expect(sources).to.deep.equal({
      "01 Morning Tone.mp3": "embedded",
      "02 café.flac": "embedded",
      "05 untagged.wav": "metadata.json",
      // It also has an embedded cover: the artwork directory wins.
      "06 aac.m4a": "artwork-dir",
      "07 sox.aiff": undefined,
      "album/03 vorbis.ogg": "cover-file",
      "album/04 opus.opus": "cover-file",
      "huge/08 huge art.flac": undefined,
    });
    const embedded = track("01 Morning Tone.mp3").artwork!;
    expect(embedded).to.include({ mimeType: "image/jpeg", width: 64, height: 64 });
    expect(embedded.path).to.equal(join(fx.dir, "extracted", `${embedded.content.sha256}.jpg`));
    // The same picture embedded in two tracks is one file.
    expect(track("02 café.flac").artwork!.path).to.equal(embedded.path);
    expect(problem("album/03 vorbis.ogg", "ARTWORK_NOT_SQUARE")?.message).to.include("80×60");
    expect(problem("huge/08 huge art.flac", "ARTWORK")?.message).to.include(
      "10000×10000 px, over the 8192 px limit",
    );
    expect(problem("07 sox.aiff", "NO_ARTWORK")?.severity).to.equal("warning");
  });

  it("reports broken, foreign and duplicate files instead of failing", () => {
    const summary = result.problems
      .filter((p) => p.severity !== "warning")
      .map((p) => [p.file, p.severity, p.code, p.field]);
    expect(summary).to.deep.equal([
      ["bad/empty.mp3", "error", "NOT_AUDIO", "content"],
      ["bad/notes.mp3", "error", "NOT_AUDIO", "content"],
      ["bad/truncated.mp3", "error", "TRUNCATED", "duration"],
      ["bad/truncated.wav", "error", "TRUNCATED", "content"],
      ["dupes/copy of morning.mp3", "skipped", "DUPLICATE", "content"],
      ["escape.mp3", "skipped", "LINK_OUTSIDE", "path"],
      ["readme.txt", "skipped", "UNSUPPORTED", undefined],
    ]);
    expect(track("01 Morning Tone.mp3").duplicates).to.deep.equal(["dupes/copy of morning.mp3"]);
    expect(problem("bad/empty.mp3", "NOT_AUDIO")?.message).to.equal(
      "bad/empty.mp3: content: named like audio but the file is empty — replace it with the real audio file, or remove it from the library",
    );
    // Hidden files are not part of the library at all.
    expect(result.problems.some((p) => p.file.includes("hidden"))).to.equal(false);
  });

  it("hands each audio file's outcome on as soon as it is scanned, after counting the audio files", async () => {
    const log: string[] = [];
    let count: number | undefined;
    const handed: Array<{ order: number; track: ScannedTrack }> = [];
    await scanLibrary(fx.library, {
      artworkDir: fx.artworkDir,
      extractDir: join(fx.dir, "extracted"),
      concurrency: 1,
      // Asked right before a file is hashed: it marks where hashing of each file starts.
      knownAddress: async (file) => {
        log.push(`hash ${file.file}`);
        return undefined;
      },
      onAudioFiles: (files) => {
        count = files.length;
        log.push("count");
      },
      onAudioFile: (outcome) => {
        if (outcome.kind === "track") handed.push({ order: outcome.order, track: outcome.track });
        if (outcome.kind === "settled") throw new Error("no track is settled without a `settled` option");
        log.push(
          outcome.kind === "track"
            ? `track ${outcome.track.file}`
            : `${outcome.problem.code} ${outcome.file}`,
        );
      },
    });
    const again = { tracks: handed.sort((a, b) => a.order - b.order).map((h) => h.track) };
    const outcomes = log.filter((line) => !line.startsWith("hash ") && line !== "count");
    // Every audio file once (broken ones and the duplicate included); one at a time, so in library order.
    expect(count).to.equal(outcomes.length);
    expect(outcomes.filter((o) => o.startsWith("track ")).map((o) => o.slice(6))).to.deep.equal(
      again.tracks.map((t) => t.file),
    );
    expect(outcomes).to.include("DUPLICATE dupes/copy of morning.mp3");
    expect(outcomes).to.include("TRUNCATED bad/truncated.wav");
    expect(outcomes.indexOf("track 01 Morning Tone.mp3")).to.be.lessThan(
      outcomes.indexOf("DUPLICATE dupes/copy of morning.mp3"),
    );
    // The count comes before any hashing, and the first track before the last file is hashed.
    expect(log[0]).to.equal("count");
    expect(log.indexOf(`track ${again.tracks[0]!.file}`)).to.be.lessThan(
      log.lastIndexOf(log.filter((line) => line.startsWith("hash ")).at(-1)!),
    );
    expect(again.tracks).to.deep.equal(result.tracks);
  });

  it("does not hold the tracks after a long recording back until it is hashed", async function () {
    this.timeout(60_000);
    const dir = await mkdtemp(join(fx.dir, "long-first-"));
    // 600 s of 16-bit stereo: ~106 MB, hashed long after the short tones behind it.
    await toneWav(join(dir, "01 long.wav"), 600, 220);
    for (const [i, stem] of ["02 a", "03 b", "04 c"].entries())
      await toneWav(join(dir, `${stem}.wav`), 0.2, 300 + i);
    const artist = { artist: "Long Test" };
    await writeFile(
      join(dir, "metadata.json"),
      JSON.stringify({ "01 long": artist, "02 a": artist, "03 b": artist, "04 c": artist }),
    );
    const order: string[] = [];
    const places: string[] = [];
    await scanLibrary(dir, {
      extractDir: join(dir, "art"),
      concurrency: 2,
      onAudioFile: (outcome) => {
        order.push(outcome.kind === "track" ? outcome.track.file : `✗ ${outcome.file}`);
        if (outcome.kind === "track") places[outcome.order] = outcome.track.file;
      },
    });
    expect(order.indexOf("01 long.wav")).to.equal(3);
    expect(places).to.deep.equal(["01 long.wav", "02 a.wav", "03 b.wav", "04 c.wav"]);
  });

  it("hashes no further ahead than admit lets it, and every admitted file is released once", async () => {
    let held = 0;
    let most = 0;
    let released = 0;
    const waiting: Array<() => void> = [];
    const tracks: string[] = [];
    const summary = await scanLibrary(fx.library, {
      artworkDir: fx.artworkDir,
      extractDir: join(fx.dir, "extracted-admit"),
      concurrency: 4,
      admit: async () => {
        if (held >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
        held++;
        most = Math.max(most, held);
        let done = false;
        return () => {
          expect(done, "released twice").to.equal(false);
          done = true;
          held--;
          released++;
          waiting.shift()?.();
        };
      },
      // The caller finishes each track a moment later, as uploads do.
      onAudioFile: (outcome) => {
        if (outcome.kind === "track") {
          tracks.push(outcome.track.file);
          setTimeout(outcome.release, 5);
        }
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(most).to.equal(2);
    expect(held).to.equal(0);
    expect(tracks.sort()).to.deep.equal(result.tracks.map((t) => t.file).sort());
    expect(released).to.be.at.least(tracks.length);
    expect(summary.problems.some((p) => p.severity === "warning" && p.code === "NO_ARTWORK")).to.equal(false);
  });

  it("hands a track an earlier run finished over as settled, unread, and still finds its duplicates", async () => {
    const finished = new Set([
      track("01 Morning Tone.mp3").content.sha256,
      // Its tags cannot be read (TRUNCATED when described): settled, it is not described at all.
      (await addressFile(join(fx.library, "bad/truncated.mp3"))).sha256,
    ]);
    const settled: string[] = [];
    const described: string[] = [];
    const summary = await scanLibrary(fx.library, {
      artworkDir: fx.artworkDir,
      extractDir: join(fx.dir, "extracted-settled"),
      // What the check read of an unfinished content comes with its track: here the content's own hash.
      settled: async (content) =>
        finished.has(content.sha256) ? { settled: true } : { settled: false, known: content.sha256 },
      onAudioFile: (outcome) => {
        if (outcome.kind === "settled") settled.push(outcome.file);
        if (outcome.kind === "track") {
          described.push(outcome.track.file);
          expect(outcome.known, outcome.track.file).to.equal(outcome.track.content.sha256);
        }
        if (outcome.kind !== "rejected") outcome.release();
      },
    });
    expect(settled.sort()).to.deep.equal(["01 Morning Tone.mp3", "bad/truncated.mp3"]);
    expect(described).to.have.length(result.tracks.length - 1);
    expect(summary.problems.filter((p) => p.file === "bad/truncated.mp3")).to.deep.equal([]);
    expect(summary.problems.find((p) => p.code === "DUPLICATE")?.file).to.equal("dupes/copy of morning.mp3");
    expect(summary.problems.filter((p) => p.code === "METADATA_UNUSED")).to.deep.equal(
      result.problems.filter((p) => p.code === "METADATA_UNUSED"),
    );
  });

  it("drops a malformed tag with a warning and keeps the track", () => {
    expect(track("album/03 vorbis.ogg").tags.isrc).to.equal(undefined);
    expect(problem("album/03 vorbis.ogg", "BAD_TAG")).to.include({ severity: "warning", field: "tags.isrc" });
  });

  describe("with a broken metadata.json", () => {
    async function libraryWith(metadata: string): Promise<string> {
      const dir = await mkdtemp(join(fx.dir, "meta-"));
      await mkdir(join(dir, "lib"));
      await copyFile(fx.mp3, join(dir, "lib", "song1.mp3"));
      await copyFile(join(fx.library, "02 café.flac"), join(dir, "lib", "song2.flac"));
      await writeFile(join(dir, "lib", "metadata.json"), metadata);
      return join(dir, "lib");
    }

    it("reports invalid JSON with the file and still scans the tracks", async () => {
      const scan = await collectScan(await libraryWith('{"song1": {"title": "x",}}'), { extractDir: fx.dir });
      expect(scan.tracks.map((t) => t.file)).to.deep.equal(["song1.mp3", "song2.flac"]);
      expect(scan.problems[0]).to.include({ severity: "error", file: "metadata.json", field: "(file)" });
      expect(scan.problems[0]!.message).to.match(/^metadata\.json: \(file\): is not valid JSON/);
    });

    it("fails only the track whose entry has unknown keys or wrong types, naming key and field", async () => {
      const dir = await libraryWith(
        JSON.stringify({ song1: { titel: "x", bpm: "fast" }, song2: { artist: "Fine" } }),
      );
      const scan = await collectScan(dir, { extractDir: fx.dir });
      expect(scan.tracks.map((t) => [t.file, t.tags.artist])).to.deep.equal([["song2.flac", "Fine"]]);
      const errors = scan.problems.filter((p) => p.severity === "error");
      expect(errors.map((p) => [p.file, p.field])).to.have.deep.members([
        ["metadata.json", "song1.titel"],
        ["metadata.json", "song1.bpm"],
      ]);
      expect(errors.find((p) => p.field === "song1.titel")!.message).to.include(
        'unknown field "titel" — use one of: title',
      );
    });

    it("rejects a metadata.json artwork that is not an image", async () => {
      const dir = await libraryWith(JSON.stringify({ song1: { artwork: "song1.mp3" } }));
      const scan = await collectScan(dir, { extractDir: fx.dir });
      expect(scan.tracks.map((t) => t.file)).to.deep.equal(["song2.flac"]);
      expect(scan.problems.find((p) => p.file === "song1.mp3")!.message).to.include(
        "song1.mp3: artwork: song1.mp3: not a JPEG, PNG, WebP or GIF image (its bytes are audio/mpeg)",
      );
    });
  });

  describe("dcmx scan", () => {
    async function capture(argv: string[]): Promise<{ code: number; out: string }> {
      const lines: string[] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => lines.push(args.join(" "));
      try {
        return { code: await main(argv), out: lines.join("\n") };
      } finally {
        console.log = original;
      }
    }

    it("prints a table of tracks and problems, exiting 1 when a file is not a track", async () => {
      const { code, out } = await capture([
        "scan",
        fx.library,
        "--artwork-dir",
        fx.artworkDir,
        "--extract-dir",
        fx.dir,
      ]);
      expect(code).to.equal(1);
      const lines = out.split("\n");
      expect(lines[0]).to.match(/^file +title +artist +duration +format +artwork +problems$/);
      expect(lines.find((l) => l.startsWith("06 aac.m4a"))).to.match(
        /AAC Song +M4A Artist +0:02 +m4a +artwork-dir$/,
      );
      expect(out).to.include("8 track(s), 8 other file(s) with problems");
      expect(out).to.include("error   bad/notes.mp3: content: named like audio");
    });

    it("prints metadata drafts as JSON with --json", async () => {
      const { out } = await capture(["scan", fx.library, "--json", "--extract-dir", fx.dir]);
      const report = JSON.parse(out);
      const first = report.tracks[0];
      expect(first.file).to.equal("01 Morning Tone.mp3");
      expect(first.metadata.animation_url).to.equal(`ipfs://${first.content.cid}`);
      expect(first.metadataCid).to.match(/^bafkrei/);
    });
  });
});
