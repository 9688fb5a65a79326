import { z } from "zod";

/** The renditions a preview can be encoded as (DCMX_PREVIEW_FORMAT). */
export const PreviewFormatSchema = z.enum(["mp3-v0", "mp3-320", "ogg-q6"]);
export type PreviewFormat = z.infer<typeof PreviewFormatSchema>;
export const DEFAULT_PREVIEW_FORMAT: PreviewFormat = "mp3-v0";

interface PreviewSpec {
  /** ffmpeg's codec options for this rendition. */
  codec: string[];
  /** ffmpeg's muxer: the output is a temporary file whose name says nothing. */
  muxer: string;
  mimeType: string;
  extension: string;
  /**
   * Typical bit rate in kbit/s, for the dry run's size estimate only: V0 and Vorbis q6 are variable, so the
   * real size depends on the music (LAME's and Vorbis's documented averages for these settings).
   */
  typicalKbps: number;
}

/** One row per rendition: how ffmpeg makes it and what it is. */
export const PREVIEW_FORMATS: Record<PreviewFormat, PreviewSpec> = {
  "mp3-v0": {
    codec: ["-c:a", "libmp3lame", "-q:a", "0"],
    muxer: "mp3",
    mimeType: "audio/mpeg",
    extension: ".mp3",
    typicalKbps: 245,
  },
  "mp3-320": {
    codec: ["-c:a", "libmp3lame", "-b:a", "320k"],
    muxer: "mp3",
    mimeType: "audio/mpeg",
    extension: ".mp3",
    typicalKbps: 320,
  },
  "ogg-q6": {
    codec: ["-c:a", "libvorbis", "-q:a", "6"],
    muxer: "ogg",
    mimeType: "audio/ogg",
    extension: ".ogg",
    typicalKbps: 192,
  },
};

/**
 * What OpenSea plays in `animation_url` (MP3, WAV, OGG/OGA): a master of another type (FLAC, AIFF, M4A, AAC)
 * gets a preview; these are minted as they are. Keyed by MIME type because that is what the player sees
 * (an Opus file is an Ogg stream, audio/ogg).
 */
const PLAYABLE_MIME_TYPES = new Set(["audio/mpeg", "audio/wav", "audio/ogg"]);

export const needsPreview = (master: { mimeType: string }): boolean =>
  !PLAYABLE_MIME_TYPES.has(master.mimeType);

/**
 * ffmpeg's arguments to encode `input` into `output` as `format`: the first audio stream only (an M4A's
 * cover is a video stream that MP3 and Ogg cannot carry), its tags kept, and bit-exact output so the same
 * master and ffmpeg always give the same bytes (no encoder version string in the file).
 */
export function ffmpegArgs(input: string, output: string, format: PreviewFormat): string[] {
  return [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-i",
    input,
    "-map",
    "0:a:0",
    "-map_metadata",
    "0",
    ...PREVIEW_FORMATS[format].codec,
    "-fflags",
    "+bitexact",
    "-flags:a",
    "+bitexact",
    "-f",
    PREVIEW_FORMATS[format].muxer,
    output,
  ];
}
