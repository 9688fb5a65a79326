import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type EncodeJob, encodeAll, flac, mp3, toneWav } from "./audio-fixtures.js";

const FORMATS = ["mp3", "flac", "ogg", "wav", "m4a"] as const;
/** Codecs of the formats ffmpeg writes (mp3 and flac come from their reference encoders). */
const FFMPEG_CODECS: Record<string, string[]> = {
  wav: ["-c:a", "pcm_s16le"],
  ogg: ["-c:a", "libvorbis", "-q:a", "2"],
  m4a: ["-c:a", "aac", "-b:a", "96k"],
};
/** Files per ffmpeg process: few enough that a big library still keeps both CPU cores busy. */
const ENCODE_BATCH = 25;

/**
 * A library of `count` distinct short tracks in mixed formats with title/artist tags: each track is a
 * tone of its own frequency, so every file has different bytes (and a different content hash).
 */
export async function generateLibrary(
  dir: string,
  count: number,
  options: { seconds?: number; prefix?: string } = {},
): Promise<string[]> {
  await mkdir(join(dir, "wav-src"), { recursive: true });
  await mkdir(join(dir, "library"), { recursive: true });
  const files: string[] = [];
  const ffmpegJobs: EncodeJob[] = [];
  const prefix = options.prefix ?? "Track";
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const format = FORMATS[i % FORMATS.length]!;
      const title = `${prefix} ${i + 1}`;
      const wav = join(dir, "wav-src", `${i}.wav`);
      await toneWav(wav, options.seconds ?? 1, 220 + i * 7);
      const name = `${String(i + 1).padStart(3, "0")} ${title}.${format}`;
      const path = join(dir, "library", name);
      const tags = { title, artist: "DCMX Test Artist", album: "Generated" };
      if (format === "mp3") await mp3(wav, path, tags);
      else if (format === "flac")
        await flac(wav, path, { TITLE: title, ARTIST: tags.artist, ALBUM: tags.album });
      else ffmpegJobs.push({ wav, path, codec: FFMPEG_CODECS[format]!, tags });
      files.push(name);
    }),
  );
  const batches = Array.from({ length: Math.ceil(ffmpegJobs.length / ENCODE_BATCH) }, (_, b) =>
    ffmpegJobs.slice(b * ENCODE_BATCH, (b + 1) * ENCODE_BATCH),
  );
  await Promise.all(batches.map(encodeAll));
  return files.sort();
}
