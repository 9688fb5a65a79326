import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { z } from "zod";
import type { ContentAddress } from "../content/types.js";
import type { FilePath } from "../util/file-name.js";

/**
 * What a stored object is for; it decides key prefixes and which providers must hold it. A `preview` is the
 * playable rendition of a master OpenSea cannot play (FLAC, AIFF, M4A): routed like audio, never on-chain.
 */
export const ObjectKindSchema = z.enum(["audio", "preview", "artwork", "metadata"]);
export type ObjectKind = z.infer<typeof ObjectKindSchema>;

/**
 * Where the bytes come from. Providers re-open the source on every attempt (a retry after a
 * half-sent stream needs the bytes again), so a path is passed rather than a stream.
 */
export type ByteSource = { path: FilePath } | { bytes: Uint8Array };

/**
 * Pieces of a file streamed to a provider. Each is a new buffer that lives until the GC finds it, and the
 * GC runs by JavaScript allocation, which larger pieces make rarer: 1 MiB pieces held ~25 MB more memory
 * than 256 KiB ones on 100 × 4 MB tracks for no gain in speed; 256 KiB is still a quarter of the read
 * calls and socket writes of the 64 KiB default.
 */
const SOURCE_PIECE = 256 * 1024;

/** The source's bytes, or only `length` of them from `start` (one part of a multipart upload). */
export function openSource(source: ByteSource, range?: { start: number; length: number }): Readable {
  if ("bytes" in source)
    return Readable.from([
      range ? source.bytes.subarray(range.start, range.start + range.length) : source.bytes,
    ]);
  const bounds = range && { start: range.start, end: range.start + range.length - 1 };
  return createReadStream(source.path, { highWaterMark: SOURCE_PIECE, ...bounds });
}

export interface PutRequest {
  kind: ObjectKind;
  source: ByteSource;
  /** Size, SHA-256 and CID computed by us before upload: the provider's answers are checked against it. */
  address: ContentAddress;
  mimeType: string;
  /** File extension with the dot (".mp3"), used in content-addressed keys. */
  extension: string;
  /**
   * Descriptive metadata stored with the object where the backend allows it (title, artist, album…); S3
   * shortens long values to stay under the 2 KiB user-metadata limit (see s3/metadata.ts).
   */
  meta?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * For a folder (a directory DAG the embedded node already holds, `address.cid` its root): the path of the
   * file under the root whose size and SHA-256 `address` gives, read back to prove a backend serves the folder.
   */
  folderFile?: string;
  /** Told of bytes as they go out, for progress; providers that can tell call it (a part sent again counts again). */
  onSent?: (bytes: number) => void;
}

/** A record of one object on one provider; it is what the journal and the report keep. */
export const StoredObjectSchema = z.object({
  provider: z.string(),
  kind: ObjectKindSchema,
  /** The provider's own name for the object: an S3 key, or a CID for IPFS backends. */
  locator: z.string(),
  sha256: z.string(),
  cid: z.string(),
  size: z.number().int().nonnegative(),
  /** True when the object was already there and no bytes were sent. */
  reused: z.boolean(),
  /**
   * S3 only: the server's ETag matched the MD5 rules over the exact bytes sent, with the SHA-256 of the
   * last bytes, so a later check of this copy needs one ranged read, not a full download. Kept with the
   * record (the ledger) rather than in the provider's memory, which would grow with the catalog.
   */
  confirmed: z.object({ etag: z.string(), tailSha256: z.string(), tailLength: z.number().int() }).optional(),
});
export type StoredObject = z.infer<typeof StoredObjectSchema>;

export interface ProviderStats {
  provider: string;
  objects: number;
  bytes: number;
  /** The sum of `StatsOptions.billedSize` over the objects, when the provider lists them. */
  billedBytes?: number;
}

export interface StatsOptions {
  /** What the provider bills an object of this size as (Storj bills smaller objects as 50 kB). */
  billedSize?: (bytes: number) => number;
}

/**
 * The one interface every storage backend implements; the pipeline depends on nothing else.
 * Implementations retry transient failures themselves and throw typed errors (`ProviderError`,
 * `AuthError`, `IntegrityError`) with no secret in them.
 */
export interface StorageProvider {
  readonly name: string;
  /** Stores the bytes unless an identical object is already there; checks what the backend reports. */
  put(request: PutRequest): Promise<StoredObject>;
  /** Whether the provider holds the object (metadata check only, no download). */
  has(object: StoredObject): Promise<boolean>;
  /** Streams the object's bytes back. */
  get(object: StoredObject, signal?: AbortSignal): Promise<Readable>;
  /** Reads the object back and throws `IntegrityError` unless its bytes hash to what we recorded. */
  verify(object: StoredObject, signal?: AbortSignal): Promise<void>;
  /** A URL a player can stream from: signed and expiring where the backend is private. */
  url(object: StoredObject, options?: { expiresInSeconds?: number }): Promise<string>;
  stats(options?: StatsOptions): Promise<ProviderStats>;
  close(): Promise<void>;
}
