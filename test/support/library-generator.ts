import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { encode, flac, mp3, toneWav } from "./audio-fixtures.js";

const FORMATS = ["mp3", "flac", "ogg", "wav", "m4a"] as const;

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
  const files: string[] = [];
  const prefix = options.prefix ?? "Track";
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const format = FORMATS[i % FORMATS.length]!;
      const title = `${prefix} ${i + 1}`;
      const wav = join(dir, "wav-src", `${i}.wav`);
      await toneWav(wav, options.seconds ?? 1, 220 + i * 7);
      const name = `${String(i + 1).padStart(3, "0")} ${title}.${format}`;
      const path = join(dir, "library", name);
      await mkdir(join(dir, "library"), { recursive: true });
      const tags = { title, artist: "DCMX Test Artist", album: "Generated" };
      if (format === "mp3") await mp3(wav, path, tags);
      else if (format === "flac")
        await flac(wav, path, { TITLE: title, ARTIST: tags.artist, ALBUM: tags.album });
      else if (format === "wav") await encode(wav, path, ["-c:a", "pcm_s16le"], tags);
      else if (format === "ogg") await encode(wav, path, ["-c:a", "libvorbis", "-q:a", "2"], tags);
      else await encode(wav, path, ["-c:a", "aac", "-b:a", "96k"], tags);
      files.push(name);
    }),
  );
  return files.sort();
}
