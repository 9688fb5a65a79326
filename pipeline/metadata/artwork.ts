import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { fileTypeFromBuffer, fileTypeFromFile } from "file-type";
import { imageSize } from "image-size";
import { imageSizeFromFile } from "image-size/fromFile";
import type { IPicture } from "music-metadata";
import { z } from "zod";
import { addressBytes, addressFile } from "../content/address.js";
import { type CidProfile, ContentAddressSchema } from "../content/types.js";
import { InputError } from "../errors.js";
import { displayPath } from "../library/walk.js";

/** Where a track's artwork came from, in the order they are tried. */
export const ArtworkSourceSchema = z.enum(["metadata.json", "artwork-dir", "cover-file", "embedded"]);
export type ArtworkSource = z.infer<typeof ArtworkSourceSchema>;

export const ArtworkSchema = z.object({
  /** The image file; embedded pictures are extracted to their own file first. */
  path: z.string(),
  source: ArtworkSourceSchema,
  mimeType: z.enum(["image/jpeg", "image/png", "image/webp", "image/gif"]),
  extension: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  content: ContentAddressSchema,
});
export type Artwork = z.infer<typeof ArtworkSchema>;

export interface ArtworkLimits {
  maxBytes: number;
  /** Longest side in pixels; larger images are refused (marketplaces downscale or reject them). */
  maxDimension: number;
}
export const DEFAULT_ARTWORK_LIMITS: ArtworkLimits = { maxBytes: 20_000_000, maxDimension: 8192 };

const IMAGE_TYPES: Record<string, Artwork["mimeType"]> = {
  jpg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
};

/** The file extension of an artwork MIME type, as `checkImage` gives it (".jpg" for image/jpeg). */
export function artworkExtension(mimeType: string): string | undefined {
  const found = Object.entries(IMAGE_TYPES).find(([, type]) => type === mimeType);
  return found && `.${found[0]}`;
}

type ImageFacts = Pick<Artwork, "mimeType" | "extension" | "width" | "height">;

/**
 * Checks an image by its bytes: a known format, within the size limits. Throws InputError naming the
 * track (`file`) and, in the message, which image (`image`) is wrong.
 */
export async function checkImage(
  bytes: { path: string } | { data: Uint8Array },
  file: string,
  image: string,
  limits: ArtworkLimits,
): Promise<ImageFacts> {
  const fail = (message: string, hint: string) =>
    new InputError("ARTWORK", `${image}: ${message}`, { file, field: "artwork", hint });
  const size = "path" in bytes ? (await stat(bytes.path)).size : bytes.data.byteLength;
  if (size === 0) throw fail("the image file is empty", "replace it with a JPEG, PNG, WebP or GIF");
  if (size > limits.maxBytes) {
    throw fail(
      `the image is ${size} bytes, over the ${limits.maxBytes}-byte limit`,
      "export a smaller image",
    );
  }
  const type = "path" in bytes ? await fileTypeFromFile(bytes.path) : await fileTypeFromBuffer(bytes.data);
  const mimeType = type === undefined ? undefined : IMAGE_TYPES[type.ext];
  if (mimeType === undefined) {
    throw fail(
      `not a JPEG, PNG, WebP or GIF image (its bytes are ${type?.mime ?? "unrecognised"})`,
      "convert it to JPEG or PNG",
    );
  }
  const dims = "path" in bytes ? await imageSizeFromFile(bytes.path) : imageSize(bytes.data);
  // EXIF orientations 5-8 rotate by 90°, so the displayed width is the stored height.
  const [width, height] =
    (dims.orientation ?? 1) >= 5 ? [dims.height, dims.width] : [dims.width, dims.height];
  if (Math.max(width, height) > limits.maxDimension) {
    throw fail(
      `the image is ${width}×${height} px, over the ${limits.maxDimension} px limit`,
      `resize it to at most ${limits.maxDimension} px per side (3000×3000 is plenty)`,
    );
  }
  return { mimeType, extension: `.${type!.ext}`, width, height };
}

export interface ArtworkQuery {
  /** The track, relative to the library: the file every problem names. */
  file: string;
  audioPath: string;
  /** The track's file name without extension: the name matched in the artwork directory. */
  stem: string;
  /** `artwork` from the track's metadata.json entry, and the metadata.json it came from. */
  override?: { artwork: string; metadataFile: string };
  picture?: IPicture;
}

export interface ArtworkContext {
  /** The library root: image paths inside it are reported relative to it. */
  root: string;
  artworkDir?: string;
  /** Where embedded pictures are extracted, named by their SHA-256 so a shared cover is written once. */
  extractDir: string;
  profile: CidProfile;
  limits: ArtworkLimits;
}

export interface ArtworkResult {
  artwork?: Artwork;
  /** Set when the artwork metadata.json asks for is unusable: the track must not be minted without it. */
  error?: InputError;
  warnings: InputError[];
}

type Candidate = { source: ArtworkSource; path: string } | { source: "embedded"; picture: IPicture };

/**
 * Finds a track's artwork in order: its metadata.json entry, the same name in the artwork directory,
 * cover.* or folder.* beside the audio, then the embedded picture. Unusable candidates are reported
 * and skipped, except an explicit metadata.json choice, which fails the track.
 */
export class ArtworkFinder {
  readonly #listings = new Map<string, Promise<string[]>>();

  constructor(readonly context: ArtworkContext) {}

  async find(query: ArtworkQuery): Promise<ArtworkResult> {
    const warnings: InputError[] = [];
    for (const candidate of await this.#candidates(query)) {
      try {
        const artwork = await this.#accept(candidate, query.file);
        if (artwork.width !== artwork.height) {
          warnings.push(
            new InputError(
              "ARTWORK_NOT_SQUARE",
              `artwork is ${artwork.width}×${artwork.height}, not square`,
              {
                file: query.file,
                field: "artwork",
                hint: "marketplaces crop to a square; supply square art (e.g. 3000×3000)",
              },
            ),
          );
        }
        return { artwork, warnings };
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        if (candidate.source === "metadata.json") return { error, warnings };
        warnings.push(error);
      }
    }
    warnings.push(
      new InputError("NO_ARTWORK", "no artwork found", {
        file: query.file,
        field: "artwork",
        hint: "embed a cover, put cover.jpg beside the track, or set artwork in metadata.json",
      }),
    );
    return { warnings };
  }

  async #candidates(query: ArtworkQuery): Promise<Candidate[]> {
    const candidates: Candidate[] = [];
    if (query.override) {
      const path = resolve(dirname(query.override.metadataFile), query.override.artwork);
      candidates.push({ source: "metadata.json", path });
    }
    const { artworkDir } = this.context;
    if (artworkDir !== undefined) {
      for (const name of await this.#list(artworkDir)) {
        if (name.slice(0, name.length - extname(name).length) === query.stem) {
          candidates.push({ source: "artwork-dir", path: join(artworkDir, name) });
        }
      }
    }
    const beside = dirname(query.audioPath);
    const covers = (await this.#list(beside)).filter((name) => /^(cover|folder)\.[^.]+$/i.test(name));
    // cover.* before folder.*, whatever the case of the name.
    covers.sort((a, b) => Number(/^folder/i.test(a)) - Number(/^folder/i.test(b)));
    for (const name of covers) candidates.push({ source: "cover-file", path: join(beside, name) });
    if (query.picture) candidates.push({ source: "embedded", picture: query.picture });
    return candidates;
  }

  async #accept(candidate: Candidate, file: string): Promise<Artwork> {
    const { limits, profile, extractDir } = this.context;
    if ("picture" in candidate) {
      const facts = await checkImage({ data: candidate.picture.data }, file, "embedded picture", limits);
      const content = await addressBytes(candidate.picture.data, { profile });
      const path = join(extractDir, `${content.sha256}${facts.extension}`);
      await mkdir(extractDir, { recursive: true });
      await writeFile(path, candidate.picture.data);
      return { path, source: "embedded", ...facts, content };
    }
    const exists = await stat(candidate.path).catch(() => undefined);
    if (!exists?.isFile()) {
      throw new InputError(
        "ARTWORK",
        `${displayPath(this.context.root, candidate.path)}: artwork file does not exist`,
        {
          file,
          field: "artwork",
          hint: "paths in metadata.json are relative to metadata.json",
        },
      );
    }
    const facts = await checkImage(
      { path: candidate.path },
      file,
      displayPath(this.context.root, candidate.path),
      limits,
    );
    return {
      path: candidate.path,
      source: candidate.source,
      ...facts,
      content: await addressFile(candidate.path, { profile }),
    };
  }

  #list(dir: string): Promise<string[]> {
    let listing = this.#listings.get(dir);
    if (listing === undefined) {
      // Directories are never artwork, even one named "folder.mp3".
      listing = readdir(dir, { withFileTypes: true })
        .then((entries) =>
          entries
            .filter((entry) => !entry.name.startsWith(".") && !entry.isDirectory())
            .map((entry) => entry.name)
            .sort(),
        )
        .catch(() => []);
      this.#listings.set(dir, listing);
    }
    return listing;
  }
}
