import { detectBytes } from "../library/audio-format.js";
import type { TrackMetadata } from "../metadata/track-metadata.js";
import type { StorageProvider } from "../providers/types.js";
import { audioLocator, audioObject } from "./check-audio.js";

/** Enough leading bytes to tell a media type apart. */
const HEAD_BYTES = 4100;

/**
 * The media type of what the token's `animation_url` points at, from the first bytes the first IPFS
 * provider holding it serves (what a marketplace sniffs, whatever the metadata claims); undefined when
 * no provider holds it.
 */
export async function animationMediaType(
  providers: StorageProvider[],
  metadata: TrackMetadata,
  contentHash: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  for (const provider of providers) {
    const object = audioObject(provider, audioLocator("ipfs", metadata, contentHash), metadata, contentHash);
    if (!(await provider.has(object).catch(() => false))) continue;
    const head: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of await provider.get(object, signal)) {
      head.push(chunk);
      size += chunk.length;
      if (size >= HEAD_BYTES) break;
    }
    const found = await detectBytes(Buffer.concat(head));
    return found.kind === "other" ? (found.detected ?? "application/octet-stream") : found.mimeType;
  }
  return undefined;
}
