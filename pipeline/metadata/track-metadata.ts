import { z } from "zod";
import type { ScannedTrack } from "./scanned-track.js";
import { yearOf } from "./track-tags.js";

const ipfsUri = z.string().regex(/^ipfs:\/\/[a-zA-Z0-9]+$/, "expected ipfs://<cid>");
const url = z.url();

/** An OpenSea trait: strings show as properties, numbers with display_type "number" as stats. */
export const TraitSchema = z.strictObject({
  trait_type: z.string().min(1),
  value: z.union([z.string().min(1), z.number()]),
  display_type: z.literal("number").optional(),
});
export type Trait = z.infer<typeof TraitSchema>;

/** The version tag of the Catalog-style music NFT fields below (the layout Catalog and Sound read). */
export const MUSIC_METADATA_VERSION = "catalog-20220222";

/**
 * The ERC-721 token metadata of one track: OpenSea's fields, the music NFT fields used by Catalog and
 * Sound, and our `properties` (content hash, size, storage locations). The single definition of the
 * document: builders produce it, `encodeMetadata` validates against it before computing the CID.
 */
export const TrackMetadataSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  image: ipfsUri.optional(),
  /**
   * What a marketplace plays (OpenSea: MP3, WAV and OGG/OGA): the master itself when it is one of those,
   * else its preview (`properties.preview`, whose `mimeType` it has).
   */
  animation_url: ipfsUri,
  external_url: url.optional(),
  /** OpenSea's item background: six hex digits, no leading #. */
  background_color: z
    .string()
    .regex(/^[0-9a-fA-F]{6}$/, "expected six hex digits without # (OpenSea's background_color)")
    .optional(),
  attributes: z.array(TraitSchema),

  version: z.literal(MUSIC_METADATA_VERSION),
  title: z.string().min(1),
  artist: z.string().min(1),
  /** Whole seconds. */
  duration: z.int().positive(),
  /** The master's MIME type (the music fields describe the master, whatever `animation_url` plays). */
  mimeType: z.string().regex(/^audio\//),
  /** The lossless master's URI, present only when the master is lossless. */
  losslessAudio: ipfsUri.optional(),
  artwork: z.strictObject({ uri: ipfsUri, mimeType: z.string().regex(/^image\//) }).optional(),
  trackNumber: z.int().positive().optional(),
  genre: z.string().optional(),
  bpm: z.number().positive().optional(),
  key: z.string().optional(),
  license: z.string().optional(),
  isrc: z.string().optional(),
  lyrics: z.strictObject({ text: z.string() }).optional(),
  credits: z.array(z.strictObject({ name: z.string(), collaboratorType: z.string() })).optional(),
  project: z
    .strictObject({
      title: z.string(),
      type: z.string().optional(),
      releaseDate: z.string().optional(),
      recordLabel: z.string().optional(),
      upc: z.string().optional(),
    })
    .optional(),

  properties: z.strictObject({
    /** The SHA-256 the contract records for this token. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.int().nonnegative(),
    cid: z.string(),
    cidProfile: z.string(),
    audio: z.strictObject({
      format: z.string(),
      codec: z.string().optional(),
      durationSeconds: z.number().positive(),
      sampleRate: z.int().positive().optional(),
      channels: z.int().positive().optional(),
      bitsPerSample: z.int().positive().optional(),
      lossless: z.boolean(),
    }),
    /**
     * The playable rendition `animation_url` points at, encoded from a master OpenSea cannot play (FLAC,
     * AIFF, M4A); absent when the master plays as it is. The chain records the master's SHA-256, never this.
     */
    preview: z
      .strictObject({
        format: z.string(),
        mimeType: z.string().regex(/^audio\//),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        cid: z.string(),
        size: z.int().nonnegative(),
      })
      .optional(),
    artwork: z
      .strictObject({
        sha256: z.string(),
        cid: z.string(),
        size: z.int().nonnegative(),
        mimeType: z.string(),
        width: z.int().positive(),
        height: z.int().positive(),
        source: z.string(),
      })
      .optional(),
    album: z.string().optional(),
    albumArtist: z.string().optional(),
    artists: z.array(z.string()).optional(),
    composer: z.array(z.string()).optional(),
    copyright: z.string().optional(),
    date: z.string().optional(),
    discNumber: z.int().positive().optional(),
    storage: z.strictObject({
      ipfs: ipfsUri,
      storj: z.strictObject({ bucket: z.string().min(1), key: z.string().min(1) }).optional(),
    }),
  }),
});
export type TrackMetadata = z.infer<typeof TrackMetadataSchema>;

/** Where the pipeline put the track's bytes; the scan's own CIDs when building a draft. */
export interface TrackLocations {
  audioCid: string;
  /** The playable preview of a master OpenSea cannot play. */
  preview?: { format: string; mimeType: string; sha256: string; cid: string; size: number };
  artworkCid?: string;
  storj?: { bucket: string; key: string };
  externalUrl?: string;
}

/** The locations a scan alone can state: the CIDs it computed, nothing uploaded yet. */
export function draftLocations(track: ScannedTrack): TrackLocations {
  return { audioCid: track.content.cid, artworkCid: track.artwork?.content.cid };
}

/** Builds and validates one track's ERC-721 metadata; the same track and locations give the same document. */
export function buildTrackMetadata(
  track: ScannedTrack,
  locations: TrackLocations = draftLocations(track),
): TrackMetadata {
  const { tags, audio, artwork } = track;
  const audioUri = `ipfs://${locations.audioCid}`;
  const { preview } = locations;
  const imageUri = locations.artworkCid === undefined ? undefined : `ipfs://${locations.artworkCid}`;
  const year = yearOf(tags);
  const duration = Math.max(1, Math.round(audio.durationSeconds));
  const credits = [
    ...(tags.composer ?? []).map((name) => ({ name, collaboratorType: "composer" })),
    ...(tags.credits ?? []).map(({ name, role }) => ({ name, collaboratorType: role })),
  ];
  return TrackMetadataSchema.parse({
    name: tags.title,
    description: tags.description ?? defaultDescription(tags.title, tags.artist, tags.album, year),
    image: imageUri,
    animation_url: preview === undefined ? audioUri : `ipfs://${preview.cid}`,
    external_url: locations.externalUrl,
    attributes: traits(track, year, duration),
    version: MUSIC_METADATA_VERSION,
    title: tags.title,
    artist: tags.artist,
    duration,
    mimeType: track.mimeType,
    losslessAudio: audio.lossless ? audioUri : undefined,
    artwork: imageUri && artwork ? { uri: imageUri, mimeType: artwork.mimeType } : undefined,
    trackNumber: tags.trackNumber,
    genre: tags.genre,
    bpm: tags.bpm,
    key: tags.key,
    license: tags.license,
    isrc: tags.isrc,
    lyrics: tags.lyrics === undefined ? undefined : { text: tags.lyrics },
    credits: credits.length ? credits : undefined,
    project:
      tags.album === undefined
        ? undefined
        : {
            title: tags.album,
            type: tags.releaseType,
            releaseDate: tags.date,
            recordLabel: tags.recordLabel,
            upc: tags.upc,
          },
    properties: {
      sha256: track.content.sha256,
      size: track.content.size,
      cid: track.content.cid,
      cidProfile: track.content.profile,
      audio: {
        format: track.format,
        codec: audio.codec,
        // Milliseconds are plenty and keep float noise out of the hashed document.
        durationSeconds: Math.round(audio.durationSeconds * 1000) / 1000,
        sampleRate: audio.sampleRate,
        channels: audio.channels,
        bitsPerSample: audio.bitsPerSample,
        lossless: audio.lossless,
      },
      preview: preview && {
        format: preview.format,
        mimeType: preview.mimeType,
        sha256: preview.sha256,
        cid: preview.cid,
        size: preview.size,
      },
      artwork: artwork && {
        sha256: artwork.content.sha256,
        cid: artwork.content.cid,
        size: artwork.content.size,
        mimeType: artwork.mimeType,
        width: artwork.width,
        height: artwork.height,
        source: artwork.source,
      },
      album: tags.album,
      albumArtist: tags.albumArtist,
      artists: tags.artists,
      composer: tags.composer,
      copyright: tags.copyright,
      date: tags.date,
      discNumber: tags.discNumber,
      storage: { ipfs: audioUri, storj: locations.storj },
    },
  });
}

function defaultDescription(
  title: string,
  artist: string,
  album: string | undefined,
  year: number | undefined,
) {
  const from = album === undefined ? "" : `, from ${album}`;
  return `"${title}" by ${artist}${from}${year === undefined ? "" : ` (${year})`}.`;
}

function traits(track: ScannedTrack, year: number | undefined, duration: number): Trait[] {
  const { tags, audio } = track;
  const text = (trait_type: string, value: string | undefined): Trait[] =>
    value === undefined ? [] : [{ trait_type, value }];
  const number = (trait_type: string, value: number | undefined): Trait[] =>
    value === undefined ? [] : [{ trait_type, value, display_type: "number" }];
  return [
    ...text("Artist", tags.artist),
    ...text("Album", tags.album),
    ...text("Genre", tags.genre),
    ...number("Year", year),
    ...number("BPM", tags.bpm),
    ...text("Key", tags.key),
    ...text("Duration", minutesSeconds(duration)),
    ...number("Track", tags.trackNumber),
    ...text("Format", track.format.toUpperCase()),
    ...text("Lossless", audio.lossless ? "Yes" : "No"),
    ...text("Composer", tags.composer?.join(", ")),
    ...text("License", tags.license),
    ...text("Record Label", tags.recordLabel),
  ];
}

/** "3:05": how players show a track's length. */
export function minutesSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
