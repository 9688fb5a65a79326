import { z } from "zod";
import { ContentAddressSchema } from "../content/types.js";
import { AudioFormatSchema } from "../library/audio-format.js";
import { FilePathSchema, NameBytesSchema, NameEncodingSchema } from "../util/file-name.js";
import { ArtworkSchema } from "./artwork.js";
import { AudioTechnicalSchema } from "./read-track.js";
import { TrackTagsSchema } from "./track-tags.js";

/** One track as the pipeline sees it: every later stage works from this, never from the file's name. */
export const ScannedTrackSchema = z.object({
  /** The exact bytes of the file's path: what every stage opens. */
  path: FilePathSchema,
  /** Relative to the library root, "/"-separated, readable (marked when its decoding is a guess): the name every report uses. */
  file: z.string(),
  /** How the name's bytes were decoded for `file`; anything but utf-8 is a guess. */
  nameEncoding: NameEncodingSchema,
  /** The relative path's exact bytes (base64) when `file` does not spell them: the ledger keys by them. */
  nameBytes: NameBytesSchema.optional(),
  /** Size, SHA-256 and CID from the one pass over the bytes; the pipeline never hashes the file again. */
  content: ContentAddressSchema,
  format: AudioFormatSchema,
  mimeType: z.string(),
  extension: z.string(),
  audio: AudioTechnicalSchema,
  /** Tags from the file with metadata.json applied on top. */
  tags: TrackTagsSchema.partial().extend({ title: z.string(), artist: z.string() }),
  artwork: ArtworkSchema.optional(),
  /** Other files in the library with the same bytes, reported and not minted again. */
  duplicates: z.array(z.string()),
  /** Modification time and inode when hashed, so the ledger can let a later scan skip re-hashing. */
  modifiedMs: z.number(),
  ino: z.number(),
});
export type ScannedTrack = z.infer<typeof ScannedTrackSchema>;
