import { detectBytes } from "../library/audio-format.js";
import type { TrackMetadata } from "../metadata/track-metadata.js";
import type { StorageProvider, StoredObject } from "../providers/types.js";
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
  const preview = metadata.properties.preview;
  for (const provider of providers) {
    // animation_url names the preview when the master is one OpenSea cannot play, else the master itself.
    const object: StoredObject =
      preview === undefined
        ? audioObject(provider, audioLocator("local-ipfs", metadata, contentHash), metadata, contentHash)
        : {
            provider: provider.name,
            kind: "preview",
            locator: preview.cid,
            cid: preview.cid,
            sha256: preview.sha256,
            size: preview.size,
            reused: true,
          };
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
