import { extname } from "node:path";
import type { TrackMetadata } from "../metadata/track-metadata.js";
import { objectKey } from "../providers/s3/keys.js";
import type { StorageProvider, StoredObject } from "../providers/types.js";
import { addressedBy, type StorageRole } from "../storage/routing.js";
import type { Check } from "./audit-report.js";
import { classify } from "./classify.js";

/**
 * Where a provider should hold the token's audio: on the S3 primary the content-addressed key of the hash
 * the chain recorded, on IPFS (embedded or remote) the master's CID the metadata records (`animation_url` names a preview
 * instead when the master is not MP3, WAV or OGG; the chain's hash is always the master's). The
 * key's extension is the one of the Storj key the metadata names, else its format's (every format's
 * canonical extension is its name: `.mp3`, `.flac`, `.m4a`…; the embedded S3 is never named in metadata).
 */
export function audioLocator(role: StorageRole, metadata: TrackMetadata, contentHash: string): string {
  if (addressedBy(role) === "cid") return metadata.properties.cid;
  const key = metadata.properties.storage.storj?.key;
  return objectKey(
    "audio",
    contentHash,
    key === undefined ? `.${metadata.properties.audio.format}` : extname(key),
  );
}

/** The record of the token's audio on `provider`, with the on-chain hash as the SHA-256 it must have. */
export function audioObject(
  provider: StorageProvider,
  locator: string,
  metadata: TrackMetadata,
  contentHash: string,
): StoredObject {
  return {
    provider: provider.name,
    kind: "audio",
    locator,
    cid: metadata.properties.cid,
    sha256: contentHash,
    size: metadata.properties.size,
    reused: true,
  };
}

/**
 * Streams the audio back from `provider` and compares its SHA-256 (and size) with the on-chain hash,
 * through the provider's own `verify`, which never buffers the file.
 */
export function checkAudio(
  provider: StorageProvider,
  locator: string,
  metadata: TrackMetadata,
  contentHash: string,
  signal?: AbortSignal,
): Promise<Check> {
  const object = audioObject(provider, locator, metadata, contentHash);
  return classify(provider.name, locator, async () => {
    if (!(await provider.has(object)))
      return { status: "missing", detail: `${provider.name} does not hold it` };
    await provider.verify(object, signal);
    return { status: "ok", detail: null };
  });
}
