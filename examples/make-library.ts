/**
 * Regenerates examples/library, the sample the README's first command mints: five short tracks in five
 * formats with real tags, an album cover beside them, one track with its own embedded art, a
 * metadata.json that overrides tags, and release.json for the collection. Output is deterministic
 * (same tool versions give the same bytes); the result is committed, so this runs only when it changes.
 *
 *   npx tsx examples/make-library.ts
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { encode, ffmpeg, flac, mp3 } from "../test/support/audio-fixtures.js";

const run = promisify(execFile);
const out = join(import.meta.dirname, "library");
const work = await mkdtemp(join(tmpdir(), "dcmx-example-"));
const artist = "The Loopback Quartet";
const album = "Loopback Sessions";

/** A plucked chord (sox's string synthesis), `seconds` long with a fade-out: short, but music. */
async function chord(
  name: string,
  seconds: number,
  notes: string[],
  options: string[] = [],
): Promise<string> {
  const path = join(work, `${name}.wav`);
  const voices = notes.flatMap((note) => ["pluck", note]);
  await run("sox", [
    // Repeatable: fixed seed for the pluck noise and the dither, so the same tools give the same bytes.
    "-R",
    "-n",
    ...options,
    path,
    "synth",
    String(seconds),
    ...voices,
    "fade",
    "0",
    String(seconds),
    "1",
  ]);
  return path;
}

async function image(path: string, filter: string): Promise<void> {
  await ffmpeg(path, "-f", "lavfi", "-i", filter, "-frames:v", "1", "-q:v", "4");
}

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "bonus"), { recursive: true });
const stereo = ["-r", "44100", "-c", "2", "-b", "16"];
const [c, am, f, g, e] = await Promise.all([
  chord("c", 3, ["C3", "E3", "G3", "C4"], stereo),
  chord("am", 3, ["A2", "C3", "E3", "A3"], stereo),
  chord("f", 3, ["F2", "A2", "C3", "F3"], stereo),
  // The WAV stays small: mono, 22.05 kHz.
  chord("g", 3, ["G2", "B2", "D3"], ["-r", "22050", "-c", "1", "-b", "16"]),
  chord("e", 2, ["E3", "G3", "B3", "E4"], stereo),
]);
const encoreArt = join(work, "encore.jpg");
await Promise.all([
  image(join(out, "cover.jpg"), "mandelbrot=s=500x500:end_pts=1"),
  image(encoreArt, "cellauto=s=300x300:rule=110:seed=7"),
]);

await Promise.all([
  mp3(c, join(out, "01 Opening.mp3"), {
    title: "Opening",
    artist,
    album,
    year: "2025",
    track: "1/5",
    genre: "Ambient",
    frames: { TBPM: "72", TKEY: "C", TCOM: "A. Loopback", TCOP: "2025 The Loopback Quartet" },
  }),
  flac(am, join(out, "02 Drift.flac"), {
    TITLE: "Drift",
    ARTIST: artist,
    ALBUM: album,
    DATE: "2025-03-21",
    TRACKNUMBER: "2",
    GENRE: "Ambient",
    ISRC: "QZ-ES6-25-00002",
    BPM: "64",
    LYRICS: "slowly, slowly\nthe tide comes in",
    LICENSE: "CC-BY-4.0",
  }),
  encode(f, join(out, "03 Night Bus.ogg"), ["-c:a", "libvorbis", "-q:a", "3"], {
    title: "Night Bus (rough mix)",
    artist,
    album,
    date: "2025",
    tracknumber: "3",
    genre: "Ambient",
  }),
  run("sox", ["-R", g, join(out, "04 Field Recording.wav")]),
  encode(
    e,
    join(out, "bonus", "05 Encore.m4a"),
    ["-c:a", "aac", "-b:a", "64k"],
    { title: "Encore", artist, album, date: "2025", track: "5" },
    encoreArt,
  ),
]);

await writeFile(
  join(out, "metadata.json"),
  `${JSON.stringify(
    {
      "03 Night Bus": { title: "Night Bus", bpm: 80 },
      "04 Field Recording": {
        title: "Field Recording",
        artist,
        album,
        date: "2025",
        trackNumber: 4,
        description: "Recorded on a loopback interface at 127.0.0.1.",
      },
    },
    null,
    2,
  )}\n`,
);
await writeFile(
  join(out, "release.json"),
  `${JSON.stringify(
    {
      name: album,
      symbol: "LOOP",
      description: "Five short pieces by The Loopback Quartet, the sample library of DCMX Mint.",
      image: "cover.jpg",
      external_link: "https://example.org/loopback-sessions",
    },
    null,
    2,
  )}\n`,
);
await rm(work, { recursive: true, force: true });
console.log(`wrote ${out}`);
