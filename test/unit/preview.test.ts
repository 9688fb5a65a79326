import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import pLimit from "p-limit";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { ConfigError } from "../../pipeline/errors.js";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import type { ScannedTrack } from "../../pipeline/metadata/scanned-track.js";
import { buildTrackMetadata } from "../../pipeline/metadata/track-metadata.js";
import { NATIVE_REALTIME_FACTOR, PreviewTally } from "../../pipeline/preview/estimate.js";
import { FFMPEG_FIX, systemFfmpeg } from "../../pipeline/preview/ffmpeg.js";
import { ffmpegArgs, needsPreview, type PreviewFormat } from "../../pipeline/preview/formats.js";
import { scanTrack } from "../../pipeline/scan/scan-track.js";
import { type PreviewSettings, preparePreview } from "../../pipeline/stages/preview.js";
import { probeAudio } from "../support/audio-fixtures.js";

const LIBRARY = join(import.meta.dirname, "..", "..", "examples", "library");

describe("previews: the rules", () => {
  it("encodes a preview only for masters OpenSea cannot play", () => {
    for (const mimeType of ["audio/mpeg", "audio/wav", "audio/ogg"])
      expect(needsPreview({ mimeType }), mimeType).to.equal(false);
    for (const mimeType of ["audio/flac", "audio/aiff", "audio/mp4", "audio/aac"])
      expect(needsPreview({ mimeType }), mimeType).to.equal(true);
  });

  it("asks ffmpeg for the first audio stream only, in the format's codec and muxer, bit-exact", () => {
    const args = ffmpegArgs("/dev/fd/3", "out.tmp", "ogg-q6");
    expect(args.join(" ")).to.include("-i /dev/fd/3 -map 0:a:0");
    expect(args.join(" ")).to.include("-c:a libvorbis -q:a 6");
    expect(args.slice(-3)).to.deep.equal(["-f", "ogg", "out.tmp"]);
    expect(args).to.include("+bitexact");
    expect(ffmpegArgs("in", "out", "mp3-v0").join(" ")).to.include("-c:a libmp3lame -q:a 0");
    expect(ffmpegArgs("in", "out", "mp3-320").join(" ")).to.include("-c:a libmp3lame -b:a 320k");
  });

  it("reads DCMX_PREVIEW_FORMAT (default MP3 V0) and names the variable when it is wrong", () => {
    expect(loadPipelineConfig({}).previewFormat).to.equal("mp3-v0");
    expect(loadPipelineConfig({ DCMX_PREVIEW_FORMAT: "OGG-Q6" }).previewFormat).to.equal("ogg-q6");
    expect(loadPipelineConfig({ DCMX_FFMPEG: "/opt/ffmpeg/bin/ffmpeg" }).ffmpeg).to.equal(
      "/opt/ffmpeg/bin/ffmpeg",
    );
    expect(() => loadPipelineConfig({ DCMX_PREVIEW_FORMAT: "flac" }))
      .to.throw(ConfigError)
      .with.property("message")
      .that.matches(/DCMX_PREVIEW_FORMAT: expected one of mp3-v0, mp3-320, ogg-q6, got "flac"/);
  });

  it("estimates the previews' bytes from the format's bit rate and their time from the measured encode speed", () => {
    const track = (mimeType: string, durationSeconds: number) => ({ mimeType, audio: { durationSeconds } });
    const tracks = [track("audio/flac", 300), track("audio/mp4", 100), track("audio/mpeg", 1000)];
    const tally = new PreviewTally("mp3-320", 2);
    expect(tracks.map((t) => tally.add(t))).to.deep.equal([
      (300 * 320_000) / 8,
      (100 * 320_000) / 8,
      undefined,
    ]);
    const estimate = tally.estimate;
    expect(estimate.tracks).to.equal(2);
    expect(estimate.bytes).to.equal((400 * 320_000) / 8);
    // Two at a time, but no faster than the 300 s track alone.
    expect(estimate.seconds).to.be.closeTo(300 / NATIVE_REALTIME_FACTOR, 1e-9);
    const one = new PreviewTally("mp3-v0", 1);
    for (const t of tracks) one.add(t);
    expect(one.estimate.seconds).to.be.closeTo(400 / NATIVE_REALTIME_FACTOR, 1e-9);
    const none = new PreviewTally("ogg-q6", 2);
    expect(none.add(track("audio/wav", 60))).to.equal(undefined);
    expect(none.estimate).to.deep.equal({ tracks: 0, bytes: 0, seconds: 0 });
  });

  it("points animation_url at the preview with its MIME type; the music fields still describe the master", async () => {
    const { track } = await scanTrack(join(LIBRARY, "02 Drift.flac"), {
      extractDir: await mkdtemp(join(tmpdir(), "dcmx-art-")),
    });
    const plain = buildTrackMetadata(track!);
    const preview = {
      format: "mp3-v0",
      mimeType: "audio/mpeg",
      sha256: "c".repeat(64),
      cid: "bafkreipreview",
      size: 1234,
    };
    const withPreview = buildTrackMetadata(track!, { audioCid: track!.content.cid, preview });
    expect(withPreview.animation_url).to.equal("ipfs://bafkreipreview");
    expect(withPreview.properties.preview).to.deep.equal(preview);
    expect(withPreview.mimeType).to.equal("audio/flac");
    expect(withPreview.losslessAudio).to.equal(`ipfs://${track!.content.cid}`);
    expect(withPreview.properties.storage.ipfs).to.equal(`ipfs://${track!.content.cid}`);
    expect(withPreview.properties.sha256).to.equal(track!.content.sha256);
    // Without a preview the document is what it always was.
    expect(plain.animation_url).to.equal(`ipfs://${track!.content.cid}`);
    expect(plain.properties.preview).to.equal(undefined);
  });

  it("a missing ffmpeg is a ConfigError naming DCMX_FFMPEG and how to install it", async () => {
    const error = await systemFfmpeg("/nonexistent/ffmpeg").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message)
      .to.include("DCMX_FFMPEG")
      .and.include("not found")
      .and.include(FFMPEG_FIX);
  });
});

describe("previews: the stage (system ffmpeg)", function () {
  this.timeout(30_000);
  let dir: string;
  let ledger: Ledger;
  /** The preview step as the runner uses it: the ledger's state in, a fresh preview recorded. */
  const prepare = async (track: ScannedTrack, format: PreviewFormat, holders: string[]) => {
    const prepared = await preparePreview(
      await ledger.track(track.content.sha256),
      track,
      settings(format),
      holders,
    );
    if (prepared?.encoded)
      await ledger.record({ type: "preview", sha256: track.content.sha256, preview: prepared.preview });
    return prepared?.preview;
  };
  let flac: ScannedTrack;
  let encodes: number;
  const settings = (format: PreviewFormat): PreviewSettings => ({
    format,
    encoder: () => systemFfmpeg(),
    encodeLimit: pLimit(1),
    workDir: dir,
    encoded: () => encodes++,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-preview-"));
    ledger = await Ledger.open({ workDir: dir });
    encodes = 0;
    flac = (await scanTrack(join(LIBRARY, "02 Drift.flac"), { extractDir: join(dir, "artwork") })).track!;
    await ledger.record({
      type: "track",
      sha256: flac.content.sha256,
      file: flac.file,
      size: flac.content.size,
      cid: flac.content.cid,
      profile: flac.content.profile,
      mimeType: flac.mimeType,
    });
  });
  afterEach(async () => {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("encodes a FLAC master once into a content-addressed MP3 as long as the master, and reuses it after", async () => {
    const preview = (await prepare(flac, "mp3-v0", []))!;
    expect(encodes).to.equal(1);
    const bytes = await readFile(preview.path);
    expect(preview.sha256).to.equal(createHash("sha256").update(bytes).digest("hex"));
    expect(preview.size).to.equal(bytes.length);
    expect(preview.path).to.equal(join(dir, "previews", `${preview.sha256}.mp3`));
    const probe = await probeAudio(preview.path);
    expect(probe.codec).to.equal("mp3");
    expect(probe.seconds).to.be.closeTo(flac.audio.durationSeconds, 0.1);
    expect((await ledger.track(flac.content.sha256))?.preview).to.deep.equal(preview);

    expect(await prepare(flac, "mp3-v0", [])).to.deep.equal(preview);
    expect(encodes, "a recorded preview is not encoded again").to.equal(1);
  });

  it("encodes again when the format changes, or when the file is gone and a provider still lacks it", async () => {
    const mp3 = (await prepare(flac, "mp3-v0", []))!;
    const ogg = (await prepare(flac, "ogg-q6", []))!;
    expect(encodes).to.equal(2);
    expect(ogg.mimeType).to.equal("audio/ogg");
    expect((await probeAudio(ogg.path)).codec).to.equal("vorbis");
    expect(ogg.sha256).to.not.equal(mp3.sha256);
    await unlink(ogg.path);
    await prepare(flac, "ogg-q6", ["ipfs"]);
    expect(encodes).to.equal(3);
  });

  it("leaves MP3, WAV and OGG masters alone", async () => {
    const { track } = await scanTrack(join(LIBRARY, "01 Opening.mp3"), { extractDir: join(dir, "artwork") });
    expect(await prepare(track!, "mp3-v0", [])).to.equal(undefined);
    expect(encodes).to.equal(0);
  });
});
