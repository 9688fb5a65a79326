import { needsPreview, PREVIEW_FORMATS, type PreviewFormat } from "./formats.js";

/**
 * Seconds of audio one native ffmpeg encodes per second on one core: a 5-minute FLAC became an MP3 V0 in
 * 2.2 s on the project's 2-core machine with both cores free (issue #19). WASM builds run about 2× slower;
 * a busy machine is slower too, so the plan calls the result an estimate.
 */
export const NATIVE_REALTIME_FACTOR = 300 / 2.2;

export interface PreviewEstimate {
  tracks: number;
  /** Each preview's size, from the format's typical bit rate and its master's duration. */
  sizes: number[];
  bytes: number;
  /** Wall time with `parallel` encodes at once at NATIVE_REALTIME_FACTOR. */
  seconds: number;
}

/** What encoding the previews of `tracks` would take: how many, how large, how long. */
export function estimatePreviews(
  tracks: Array<{ mimeType: string; audio: { durationSeconds: number } }>,
  format: PreviewFormat,
  parallel: number,
): PreviewEstimate {
  const durations = tracks.filter(needsPreview).map((t) => t.audio.durationSeconds);
  const total = durations.reduce((sum, d) => sum + d, 0);
  const longest = Math.max(0, ...durations);
  const sizes = durations.map((d) => Math.round((d * PREVIEW_FORMATS[format].typicalKbps * 1000) / 8));
  return {
    tracks: durations.length,
    sizes,
    bytes: sizes.reduce((sum, size) => sum + size, 0),
    // Encodes run `parallel` at a time, but no faster than the longest one alone.
    seconds: Math.max(longest, total / Math.max(1, parallel)) / NATIVE_REALTIME_FACTOR,
  };
}
