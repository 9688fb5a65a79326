import { mkdir, rename, rm, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import type { PipelineConfig } from "../config/pipeline-config.js";
import { addressFile } from "../content/address.js";
import type { TrackState } from "../ledger/ledger.js";
import type { ScannedTrack } from "../metadata/scanned-track.js";
import { type PreviewEncoder, systemFfmpeg } from "../preview/ffmpeg.js";
import { needsPreview, PREVIEW_FORMATS, type PreviewFormat } from "../preview/formats.js";

export interface PreviewSettings {
  format: PreviewFormat;
  /** The encoder, looked for when the first preview is needed (a missing ffmpeg is a ConfigError then). */
  encoder: () => Promise<PreviewEncoder>;
  /** Bounds encodes: each one keeps a core busy (see run-pipeline.ts). */
  encodeLimit: LimitFunction;
  workDir: string;
  /** Told of every preview encoded this run (the report counts them). */
  encoded?: () => void;
}

export type Preview = NonNullable<TrackState["preview"]>;

/**
 * A run's preview settings. Encodes are bounded by the cores as well as MAX_CONCURRENT_UPLOADS: one
 * ffmpeg encode keeps one core busy (LAME and Vorbis encode on one thread), so more encodes than cores
 * only take turns on them, each finishing later, while the uploads and hashing that share the cores wait.
 */
export function previewSettings(
  config: Pick<PipelineConfig, "previewFormat" | "ffmpeg" | "maxConcurrentUploads" | "workDir">,
  encoded?: () => void,
): PreviewSettings {
  return {
    format: config.previewFormat,
    encoder: () => systemFfmpeg(config.ffmpeg),
    encodeLimit: pLimit(encodeConcurrency(config)),
    workDir: config.workDir,
    encoded,
  };
}

/** How many encodes run at once (see `previewSettings`). */
export const encodeConcurrency = (config: Pick<PipelineConfig, "maxConcurrentUploads">): number =>
  Math.min(config.maxConcurrentUploads, availableParallelism());

/**
 * The playable preview of a track whose master OpenSea cannot play (undefined for MP3, WAV and OGG
 * masters): encoded once into the work directory, content-addressed in the same pass as every file
 * (SHA-256 + CID under the master's profile); the caller records a fresh one (`encoded`), so a re-run
 * reuses it. It is encoded again only when the format changed, or its file is gone while a provider in
 * `holders` still lacks it.
 */
export async function preparePreview(
  state: TrackState | undefined,
  track: ScannedTrack,
  settings: PreviewSettings,
  holders: string[],
  signal?: AbortSignal,
): Promise<{ preview: Preview; encoded: boolean } | undefined> {
  if (!needsPreview(track)) return undefined;
  const known = state?.preview;
  if (known?.format === settings.format && (await usable(known, state!, holders)))
    return { preview: known, encoded: false };

  const spec = PREVIEW_FORMATS[settings.format];
  const dir = join(settings.workDir, "previews");
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${track.content.sha256}.${settings.format}.${process.pid}.tmp`);
  try {
    const encoder = await settings.encoder();
    await settings.encodeLimit(() => encoder.encode(track.path, temp, settings.format, signal));
    const address = await addressFile(temp, { profile: track.content.profile, signal });
    // Named by its own hash: the same preview is one file whichever master or run made it.
    const path = join(dir, `${address.sha256}${spec.extension}`);
    await rename(temp, path);
    const preview: Preview = {
      format: settings.format,
      ...address,
      mimeType: spec.mimeType,
      extension: spec.extension,
      path,
    };
    settings.encoded?.();
    return { preview, encoded: true };
  } finally {
    await rm(temp, { force: true });
  }
}

/** A recorded preview serves while its file is there, or when every provider already holds it. */
async function usable(preview: Preview, state: TrackState, holders: string[]): Promise<boolean> {
  const size = await stat(preview.path).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === preview.size) return true;
  return holders.every((provider) =>
    state.stored.some((o) => o.kind === "preview" && o.provider === provider && o.sha256 === preview.sha256),
  );
}
