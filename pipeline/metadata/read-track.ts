import { type IAudioMetadata, type IPicture, parseFromTokenizer } from "music-metadata";
import { z } from "zod";
import { InputError } from "../errors.js";
import type { FilePath } from "../util/file-name.js";
import { withFileTokenizer } from "../util/file-tokenizer.js";
import { type TrackTags, TrackTagsSchema } from "./track-tags.js";

export const AudioTechnicalSchema = z.object({
  codec: z.string().optional(),
  durationSeconds: z.number().positive(),
  /** Bits per second, as the container or the frames say. */
  bitrate: z.number().positive().optional(),
  sampleRate: z.number().int().positive().optional(),
  channels: z.number().int().positive().optional(),
  bitsPerSample: z.number().int().positive().optional(),
  lossless: z.boolean(),
});
export type AudioTechnical = z.infer<typeof AudioTechnicalSchema>;

export interface TrackReading {
  tags: TrackTags;
  technical: AudioTechnical;
  /** The embedded cover, front cover first; kept in memory because tag parsers hand it over that way. */
  picture?: IPicture;
  /** Tags that were present but unusable (dropped): the track is still read. */
  warnings: InputError[];
}

/** Frame counts below this share of the header's duration mean the audio stops early. */
const MIN_PRESENT_SHARE = 0.98;

/**
 * Reads tags and stream facts with music-metadata (which streams the file; only pictures are held).
 * Throws InputError when the file is not usable audio at all; unusable single tags become warnings.
 */
export async function readTrack(path: FilePath, file: string, mimeType: string): Promise<TrackReading> {
  let metadata: IAudioMetadata;
  try {
    // The parser is chosen by the MIME type the bytes showed, not by the name: an MP3 named .flac is an MP3.
    // The file is read in ranges, never loaded whole.
    metadata = await withFileTokenizer(path, { mimeType }, (tokenizer) =>
      parseFromTokenizer(tokenizer, { duration: true }),
    );
  } catch (error) {
    throw new InputError("UNREADABLE_AUDIO", `cannot be parsed as audio (${(error as Error).message})`, {
      file,
      field: "content",
      hint: "re-export the track from your audio editor",
      cause: error,
    });
  }
  const technical = readTechnical(metadata, file);
  const { tags, warnings } = validTags(rawTags(metadata), file);
  return { tags, technical, picture: pickCover(metadata.common.picture), warnings };
}

function readTechnical(metadata: IAudioMetadata, file: string): AudioTechnical {
  const format = metadata.format;
  if (format.hasVideo === true) {
    throw new InputError("HAS_VIDEO", "is a video, not an audio track", {
      file,
      field: "content",
      hint: "extract the audio (e.g. ffmpeg -i in.mp4 -vn -c:a copy out.m4a)",
    });
  }
  const duration = format.duration;
  if (duration === undefined || !(duration > 0) || format.hasAudio === false) {
    throw new InputError("NO_AUDIO", "contains no playable audio (duration unknown or zero)", {
      file,
      field: "duration",
      hint: "the file is damaged or empty; re-export it",
    });
  }
  const { numberOfSamples, sampleRate } = format;
  if (numberOfSamples !== undefined && sampleRate !== undefined) {
    const present = numberOfSamples / sampleRate;
    if (present < duration * MIN_PRESENT_SHARE) {
      throw new InputError(
        "TRUNCATED",
        `is truncated: its header says ${duration.toFixed(2)} s but only ${present.toFixed(2)} s of audio is there`,
        { file, field: "duration", hint: "copy or download the file again" },
      );
    }
  }
  const facts = AudioTechnicalSchema.safeParse({
    codec: format.codec,
    durationSeconds: duration,
    bitrate: format.bitrate,
    sampleRate: format.sampleRate,
    channels: format.numberOfChannels,
    bitsPerSample: format.bitsPerSample,
    lossless: format.lossless ?? false,
  });
  if (!facts.success) {
    // Impossible stream facts (a zero bitrate, no channels) come from headers cut off or damaged.
    const issue = facts.error.issues[0]!;
    throw new InputError("BAD_STREAM", `the audio stream's header is damaged (${issue.message})`, {
      file,
      field: issue.path.join("."),
      hint: "the file is truncated or corrupt; copy or re-export it",
    });
  }
  return facts.data;
}

function rawTags(metadata: IAudioMetadata): Record<string, unknown> {
  const c = metadata.common;
  const lyrics = c.lyrics
    ?.map((l) => l.text ?? l.syncText.map((line) => line.text).join("\n"))
    .find((t) => t.trim() !== "");
  const date = c.date?.match(/^\d{4}(-\d{2}(-\d{2})?)?/)?.[0] ?? (c.year ? String(c.year) : undefined);
  const credits = [
    ...(c.producer ?? []).map((name) => ({ name, role: "producer" })),
    ...(c.engineer ?? []).map((name) => ({ name, role: "engineer" })),
    ...(c.mixer ?? []).map((name) => ({ name, role: "mixer" })),
    ...(c.lyricist ?? []).map((name) => ({ name, role: "lyricist" })),
  ];
  return {
    title: c.title,
    artist: c.artist,
    artists: c.artists?.length ? c.artists : undefined,
    album: c.album,
    albumArtist: c.albumartist,
    trackNumber: c.track.no ?? undefined,
    trackTotal: c.track.of ?? undefined,
    discNumber: c.disk.no ?? undefined,
    discTotal: c.disk.of ?? undefined,
    genre: c.genre?.length ? c.genre.join(", ") : undefined,
    date,
    isrc: c.isrc?.[0],
    bpm: c.bpm,
    key: c.key,
    composer: c.composer?.length ? c.composer : undefined,
    lyrics,
    copyright: c.copyright,
    license: c.license,
    recordLabel: c.label?.[0],
    upc: c.barcode,
    releaseType: c.releasetype?.[0],
    description: c.description?.[0],
    credits: credits.length ? credits : undefined,
  };
}

/** Validates tag values one field at a time: a malformed ISRC drops the ISRC, not the track. */
function validTags(raw: Record<string, unknown>, file: string): { tags: TrackTags; warnings: InputError[] } {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ""));
  const shape = TrackTagsSchema.shape as Record<string, z.ZodType>;
  const tags: Record<string, unknown> = {};
  const warnings: InputError[] = [];
  for (const [field, value] of Object.entries(present)) {
    const result = shape[field]!.safeParse(value);
    if (result.success) tags[field] = result.data;
    else
      warnings.push(
        new InputError("BAD_TAG", `tag ignored: ${result.error.issues[0]!.message} (got ${preview(value)})`, {
          file,
          field: `tags.${field}`,
          hint: "fix the tag in your tag editor or set the field in metadata.json",
        }),
      );
  }
  return { tags: tags as TrackTags, warnings };
}

/** A tag's value as a problem quotes it: a 10 MB lyrics tag must not become a 10 MB message. */
function preview(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length <= 80 ? json : `${json.slice(0, 79)}… (${json.length} characters)`;
}

function pickCover(pictures: IPicture[] | undefined): IPicture | undefined {
  if (!pictures?.length) return undefined;
  return pictures.find((p) => p.type === "Cover (front)") ?? pictures[0];
}
