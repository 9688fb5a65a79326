import { needsPreview, PREVIEW_FORMATS, type PreviewFormat } from "./formats.js";

/**
 * Seconds of audio one native ffmpeg encodes per second on one core: a 5-minute FLAC became an MP3 V0 in
 * 2.2 s on the project's 2-core machine with both cores free (issue #19). WASM builds run about 2× slower;
 * a busy machine is slower too, so the plan calls the result an estimate.
 */
export const NATIVE_REALTIME_FACTOR = 300 / 2.2;

export interface PreviewEstimate {
  tracks: number;
  bytes: number;
  /** Wall time with `parallel` encodes at once at NATIVE_REALTIME_FACTOR. */
  seconds: number;
}

/**
 * What encoding the previews of a library would take, masters added one at a time as a scan finds them:
 * running totals only, so a catalog's estimate holds no list of its tracks.
 */
export class PreviewTally {
  readonly #format: PreviewFormat;
  readonly #parallel: number;
  #tracks = 0;
  #bytes = 0;
  #totalSeconds = 0;
  #longest = 0;

  constructor(format: PreviewFormat, parallel: number) {
    this.#format = format;
    this.#parallel = parallel;
  }

  /** Counts the master; returns its preview's size, from the format's typical bit rate, when it needs one. */
  add(master: { mimeType: string; audio: { durationSeconds: number } }): number | undefined {
    if (!needsPreview(master)) return undefined;
    const seconds = master.audio.durationSeconds;
    const size = Math.round((seconds * PREVIEW_FORMATS[this.#format].typicalKbps * 1000) / 8);
    this.#tracks++;
    this.#bytes += size;
    this.#totalSeconds += seconds;
    this.#longest = Math.max(this.#longest, seconds);
    return size;
  }

  get estimate(): PreviewEstimate {
    return {
      tracks: this.#tracks,
      bytes: this.#bytes,
      // Encodes run `parallel` at a time, but no faster than the longest one alone.
      seconds:
        Math.max(this.#longest, this.#totalSeconds / Math.max(1, this.#parallel)) / NATIVE_REALTIME_FACTOR,
    };
  }
}
