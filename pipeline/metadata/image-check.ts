import { open } from "node:fs/promises";
import { fileTypeFromBuffer } from "file-type";
import { imageSize } from "image-size";
import { InputError } from "../errors.js";
import type { FilePath } from "../util/file-name.js";
import type { Artwork } from "./artwork.js";

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

/** What image-size reads of a file: every format it knows keeps its dimensions in the first 512 KiB. */
const IMAGE_HEAD_BYTES = 512 * 1024;

/** An image file's size and first bytes, from one open of its exact path. */
async function readHead(path: FilePath): Promise<{ size: number; head: Uint8Array }> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(Math.min(size, IMAGE_HEAD_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.byteLength, 0);
    return { size, head: head.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

/**
 * Checks an image by its bytes: a known format, within the size limits. Throws InputError naming the
 * track (`file`) and, in the message, which image (`image`) is wrong.
 */
export async function checkImage(
  bytes: { path: FilePath } | { data: Uint8Array },
  file: string,
  image: string,
  limits: ArtworkLimits,
): Promise<ImageFacts> {
  const fail = (message: string, hint: string) =>
    new InputError("ARTWORK", `${image}: ${message}`, { file, field: "artwork", hint });
  const { size, head } =
    "path" in bytes ? await readHead(bytes.path) : { size: bytes.data.byteLength, head: bytes.data };
  if (size === 0) throw fail("the image file is empty", "replace it with a JPEG, PNG, WebP or GIF");
  if (size > limits.maxBytes) {
    throw fail(
      `the image is ${size} bytes, over the ${limits.maxBytes}-byte limit`,
      "export a smaller image",
    );
  }
  const type = await fileTypeFromBuffer(head);
  const mimeType = type === undefined ? undefined : IMAGE_TYPES[type.ext];
  if (mimeType === undefined) {
    throw fail(
      `not a JPEG, PNG, WebP or GIF image (its bytes are ${type?.mime ?? "unrecognised"})`,
      "convert it to JPEG or PNG",
    );
  }
  const dims = imageSize(head);
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
