/**
 * The benchmarks' library: WAV tracks with a real RIFF header and INFO tags and seeded PCM, so the scan
 * detects audio by its bytes and every track has distinct content.
 */
import { createWriteStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pLimit from "p-limit";
import { seededBytes, seededChunks } from "../test/support/seeded-bytes.js";

/** A RIFF INFO chunk with title and artist, so the tracks carry real tags. */
function infoChunk(title: string, artist: string): Buffer {
  const field = (id: string, text: string) => {
    const value = Buffer.from(`${text}\0${text.length % 2 === 0 ? "\0" : ""}`, "latin1");
    const head = Buffer.alloc(8);
    head.write(id, 0, "latin1");
    head.writeUInt32LE(value.length, 4);
    return Buffer.concat([head, value]);
  };
  const body = Buffer.concat([Buffer.from("INFO"), field("INAM", title), field("IART", artist)]);
  const head = Buffer.alloc(8);
  head.write("LIST", 0, "latin1");
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** 16-bit stereo 44.1 kHz PCM WAV of `dataBytes` seeded sample bytes after its header and tags. */
function wavHeader(dataBytes: number, title: string): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write("fmt ", 0, "latin1");
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8); // PCM
  fmt.writeUInt16LE(2, 10);
  fmt.writeUInt32LE(44_100, 12);
  fmt.writeUInt32LE(44_100 * 4, 16);
  fmt.writeUInt16LE(4, 20);
  fmt.writeUInt16LE(16, 22);
  const info = infoChunk(title, "DCMX Bench Artist");
  const data = Buffer.alloc(8);
  data.write("data", 0, "latin1");
  data.writeUInt32LE(dataBytes, 4);
  const riff = Buffer.alloc(12);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE(4 + fmt.length + info.length + data.length + dataBytes, 4);
  riff.write("WAVE", 8, "latin1");
  return Buffer.concat([riff, fmt, info, data]);
}

export interface WavLibraryOptions {
  /** Sizes run from `trackBytes` to `trackBytes + spread` (default 64 KiB), so tracks differ in length too. */
  spread?: number;
  /** Files written at a time: tiny tracks are bound by file creation, not by generating bytes. */
  concurrency?: number;
}

/** The track's header and seeded samples; sizes vary a little above `trackBytes`, in whole stereo frames. */
function wavTrack(
  index: number,
  trackBytes: number,
  spread = 65_536,
): { header: Buffer; dataBytes: number; size: number } {
  const dataBytes = Math.floor((trackBytes + ((index * 7919) % spread)) / 4) * 4;
  const header = wavHeader(dataBytes, `Bench Track ${index + 1}`);
  return { header, dataBytes, size: header.length + dataBytes };
}

/** Tracks up to this size are written in one call: a catalog of tiny files is bound by per-file overhead. */
const ONE_WRITE = 64 * 1024;

async function writeWavTrack(
  path: string,
  index: number,
  trackBytes: number,
  spread?: number,
): Promise<void> {
  const { header, dataBytes, size } = wavTrack(index, trackBytes, spread);
  const seed = `bench-pipeline-${index}`;
  if (size <= ONE_WRITE) {
    await writeFile(path, Buffer.concat([header, await seededBytes(seed, dataBytes)]));
    return;
  }
  async function* bytes(): AsyncGenerator<Uint8Array> {
    yield header;
    yield* seededChunks(seed, dataBytes);
  }
  await pipeline(Readable.from(bytes()), createWriteStream(path));
}

/**
 * A library of `tracks` seeded WAV files of about `trackBytes` each in `directory`, generated once: later runs
 * reuse the files (same seeds, same bytes).
 */
export async function makeWavLibrary(
  directory: string,
  tracks: number,
  trackBytes: number,
  { spread, concurrency = 2 }: WavLibraryOptions = {},
): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const limit = pLimit(concurrency);
  return Promise.all(
    Array.from({ length: tracks }, (_, i) =>
      limit(async () => {
        const path = join(directory, `${String(i + 1).padStart(3, "0")} Bench Track ${i + 1}.wav`);
        if ((await stat(path).catch(() => undefined))?.size !== wavTrack(i, trackBytes, spread).size)
          await writeWavTrack(path, i, trackBytes, spread);
        return path;
      }),
    ),
  );
}
