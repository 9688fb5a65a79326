import { execFile } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { crc32, deflateSync } from "node:zlib";

const run = promisify(execFile);

/** Output options for reproducible files: no encoder version strings, fixed stream serial numbers. */
const BITEXACT = ["-fflags", "+bitexact", "-flags", "+bitexact"];
const FFMPEG = ["-hide_banner", "-loglevel", "error", "-y"];

/** ffmpeg writing `output` reproducibly. */
export async function ffmpeg(output: string, ...args: string[]): Promise<void> {
  await run("ffmpeg", [...FFMPEG, ...args, ...BITEXACT, output]);
}

/** A stereo 44.1 kHz sine tone as 16-bit WAV, made by sox: the source every other format is encoded from. */
export async function toneWav(path: string, seconds: number, frequency = 440): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await run("sox", [
    // Repeatable: fixed seed for the pluck noise and the dither, so the same tools give the same bytes.
    "-R",
    "-n",
    "-r",
    "44100",
    "-c",
    "2",
    "-b",
    "16",
    path,
    "synth",
    String(seconds),
    "sine",
    String(frequency),
  ]);
}

/** A solid-colour image of the given size (JPEG or PNG by extension), made by ffmpeg. */
export async function solidImage(path: string, width: number, height: number, color = "red"): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await ffmpeg(path, "-f", "lavfi", "-i", `color=c=${color}:s=${width}x${height}:d=1`, "-frames:v", "1");
}

/**
 * A valid 1-bit PNG with huge dimensions that stays tiny on disk (rows of zeros deflate ~1000:1), so the
 * size limit is tested on a real image without allocating one.
 */
export async function hugePng(path: string, side: number): Promise<void> {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.writeUInt8(1, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  const rows = Buffer.alloc((1 + Math.ceil(side / 8)) * side);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, png);
}

export interface MP3Tags {
  title?: string;
  artist?: string;
  album?: string;
  year?: string;
  track?: string;
  genre?: string;
  /** ID3v2 text frames, e.g. { TBPM: "120", TSRC: "USABC2400001" }. */
  frames?: Record<string, string>;
  cover?: string;
}

/** MP3 by lame, with ID3v2 tags and optionally an embedded cover. */
export async function mp3(wav: string, path: string, tags: MP3Tags = {}): Promise<void> {
  const flags: Array<[string, string | undefined]> = [
    ["--tt", tags.title],
    ["--ta", tags.artist],
    ["--tl", tags.album],
    ["--ty", tags.year],
    ["--tn", tags.track],
    ["--tg", tags.genre],
    ["--ti", tags.cover],
  ];
  const args = flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
  for (const [frame, value] of Object.entries(tags.frames ?? {})) args.push("--tv", `${frame}=${value}`);
  await run("lame", ["--quiet", "--id3v2-only", "-b", "128", ...args, wav, path]);
}

/** FLAC by the reference encoder, with Vorbis comments and optionally a front-cover picture. */
export async function flac(wav: string, path: string, comments: Record<string, string>, cover?: string) {
  const args = Object.entries(comments).map(([k, v]) => `--tag=${k}=${v}`);
  if (cover !== undefined) args.push(`--picture=3||front cover||${cover}`);
  await run("flac", ["--silent", "--force", ...args, "-o", path, wav]);
}

/** Any format ffmpeg can write (Ogg Vorbis, Opus, M4A/AAC, AIFF), with tags and optionally a cover. */
export async function encode(
  wav: string,
  path: string,
  codec: string[],
  tags: Record<string, string> = {},
  cover?: string,
): Promise<void> {
  const inputs = cover === undefined ? ["-i", wav] : ["-i", wav, "-i", cover, "-map", "0:a", "-map", "1:v"];
  const art = cover === undefined ? [] : ["-c:v", "copy", "-disposition:v", "attached_pic"];
  await ffmpeg(path, ...inputs, ...codec, ...art, ...metadataArgs(tags));
}

const metadataArgs = (tags: Record<string, string>) =>
  Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]);

export interface EncodeJob {
  wav: string;
  path: string;
  codec: string[];
  tags: Record<string, string>;
}

/**
 * Several `encode` jobs (without covers) in one ffmpeg process, each output from its own input with that
 * input's metadata only. ffmpeg's start-up (loading its libraries, ~0.3 s of CPU) is most of what encoding
 * a short tone costs, so a library of hundreds of tracks is encoded by a few processes, not one per file.
 */
export async function encodeAll(jobs: EncodeJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const inputs = jobs.flatMap((job) => ["-i", job.wav]);
  const outputs = jobs.flatMap((job, i) => [
    ...["-map", `${i}:a`, "-map_metadata", String(i)],
    ...job.codec,
    ...metadataArgs(job.tags),
    ...BITEXACT,
    job.path,
  ]);
  await run("ffmpeg", [...FFMPEG, ...inputs, ...outputs]);
}

export interface AudioFixtures {
  /** The temp directory holding everything; removed when the process exits. */
  dir: string;
  /** A library with every format, tags, covers, overrides, duplicates and broken files. */
  library: string;
  artworkDir: string;
  /** A file outside the library that a link inside points to. */
  outside: string;
  /** Source tones, for tests that build their own small libraries. */
  wav: string;
  mp3: string;
}

let fixtures: Promise<AudioFixtures> | undefined;

/** Generates the fixtures once per test run (every test file shares them). */
export function audioFixtures(): Promise<AudioFixtures> {
  fixtures ??= generate();
  return fixtures;
}

async function generate(): Promise<AudioFixtures> {
  const dir = await mkdtemp(join(tmpdir(), "dcmx-audio-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, "src");
  const lib = join(dir, "library");
  const artworkDir = join(dir, "artwork");
  const wav = join(src, "tone.wav");
  const squareJpg = join(src, "square.jpg");
  const wideJpg = join(lib, "album", "cover.jpg");

  await Promise.all([
    toneWav(wav, 2),
    solidImage(squareJpg, 64, 64, "red"),
    solidImage(wideJpg, 80, 60, "blue"),
    solidImage(join(lib, "art", "special.png"), 48, 48, "green"),
    solidImage(join(artworkDir, "06 aac.png"), 32, 32, "yellow"),
    hugePng(join(lib, "huge", "cover.png"), 10_000),
  ]);

  await Promise.all([
    mp3(wav, join(lib, "01 Morning Tone.mp3"), {
      title: "Morning Tone",
      artist: "Test Artist",
      album: "Fixtures",
      year: "2024",
      track: "1/7",
      genre: "Ambient",
      cover: squareJpg,
      frames: {
        TBPM: "120",
        TKEY: "Am",
        TSRC: "US-ABC-24-00001",
        TCOM: "C. Writer",
        TCOP: "2024 Test Label",
      },
    }),
    flac(
      wav,
      join(lib, "02 café.flac"),
      {
        TITLE: "Café – 東京 🎵",
        ARTIST: "Ünïcode Artist",
        ALBUM: "Fixtures",
        DATE: "2023-05-01",
        TRACKNUMBER: "2",
        ISRC: "USABC2400002",
        BPM: "90",
        LYRICS: "line one\nline two",
        LICENSE: "CC-BY-4.0",
      },
      squareJpg,
    ),
    encode(wav, join(lib, "album", "03 vorbis.ogg"), ["-c:a", "libvorbis", "-q:a", "2"], {
      title: "Vorbis Song",
      artist: "Ogg Artist",
      album: "Side Album",
      ISRC: "not-an-isrc",
    }),
    encode(wav, join(lib, "album", "04 opus.opus"), ["-c:a", "libopus", "-b:a", "32k"], {
      title: "Opus Song",
      artist: "Ogg Artist",
    }),
    run("sox", [wav, join(lib, "05 untagged.wav")]),
    encode(
      wav,
      join(lib, "06 aac.m4a"),
      ["-c:a", "aac", "-b:a", "64k"],
      { title: "AAC Song", artist: "M4A Artist" },
      squareJpg,
    ),
    run("sox", [wav, join(lib, "07 sox.aiff")]),
    flac(wav, join(lib, "huge", "08 huge art.flac"), { TITLE: "Huge Art", ARTIST: "Big Artist" }),
  ]);

  await mkdir(join(lib, "bad"), { recursive: true });
  await mkdir(join(lib, "dupes"), { recursive: true });
  copyFileSync(join(lib, "01 Morning Tone.mp3"), join(lib, "dupes", "copy of morning.mp3"));
  copyFileSync(join(lib, "01 Morning Tone.mp3"), join(lib, ".hidden.mp3"));
  copyFileSync(join(lib, "01 Morning Tone.mp3"), join(lib, "bad", "truncated.mp3"));
  await truncate(join(lib, "bad", "truncated.mp3"), 12_000);
  copyFileSync(wav, join(lib, "bad", "truncated.wav"));
  await truncate(join(lib, "bad", "truncated.wav"), 100_000);
  await writeFile(join(lib, "bad", "empty.mp3"), "");
  await writeFile(join(lib, "bad", "notes.mp3"), "these are my notes, not audio\n");
  await writeFile(join(lib, "readme.txt"), "liner notes\n");
  const outside = join(dir, "outside.mp3");
  copyFileSync(join(lib, "06 aac.m4a"), outside);
  await symlink(outside, join(lib, "escape.mp3"));
  await writeFile(
    join(lib, "metadata.json"),
    JSON.stringify({
      "01 Morning Tone": { genre: "Drone" },
      "05 untagged": {
        title: "Untitled Sketch",
        artist: "Override Artist",
        album: "Overrides",
        date: "2022",
        artwork: "art/special.png",
      },
      "07 sox": { artist: "Sox Artist" },
      "no such track": { title: "Ghost" },
    }),
  );
  return { dir, library: lib, artworkDir, outside, wav, mp3: join(lib, "01 Morning Tone.mp3") };
}

/** What ffprobe reads in a file: its container, its first audio stream's codec and its duration in seconds. */
export async function probeAudio(
  path: string,
): Promise<{ container: string; codec: string; seconds: number }> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "a:0",
    "-show_entries",
    "format=format_name,duration:stream=codec_name",
    "-of",
    "json",
    path,
  ]);
  const probe = JSON.parse(stdout) as {
    format: { format_name: string; duration: string };
    streams: Array<{ codec_name: string }>;
  };
  return {
    container: probe.format.format_name,
    codec: probe.streams[0]?.codec_name ?? "none",
    seconds: Number(probe.format.duration),
  };
}
