import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../errors.js";
import { confine } from "../library/confine.js";
import type { FilePath } from "../util/file-name.js";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");

/**
 * release.json: what the collection (the contract) says about itself. Image paths are relative to
 * release.json; the pipeline uploads them and passes their CIDs to `buildCollectionMetadata`.
 */
export const ReleaseConfigSchema = z.strictObject({
  name: z.string().trim().min(1),
  symbol: z.string().trim().min(1).max(11).optional(),
  description: z.string().trim().min(1),
  image: z.string().trim().min(1),
  banner_image: z.string().trim().min(1).optional(),
  /** The image OpenSea features the collection with (home and category pages). */
  featured_image: z.string().trim().min(1).optional(),
  external_link: z.url().optional(),
  /** Accounts marketplaces let edit the collection page besides the owner. */
  collaborators: z.array(address).optional(),
});
export type ReleaseConfig = z.infer<typeof ReleaseConfigSchema>;

/** release.json with its images resolved to the files that will be read. */
export type LoadedRelease = Omit<ReleaseConfig, "image" | "banner_image" | "featured_image"> & {
  image: FilePath;
  banner_image?: FilePath;
  featured_image?: FilePath;
};

/**
 * Reads and validates release.json, resolving image paths (which must stay inside release.json's folder:
 * the images are published); throws InputError naming the field.
 */
export async function loadReleaseConfig(file: string): Promise<LoadedRelease> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new InputError(
      "RELEASE_JSON",
      error instanceof SyntaxError ? `is not valid JSON (${error.message})` : "cannot be read",
      {
        file,
        field: "(file)",
        hint: 'write {"name": "…", "description": "…", "image": "cover.jpg"}',
        cause: error,
      },
    );
  }
  const result = ReleaseConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field =
      issue.code === "unrecognized_keys"
        ? issue.keys.join(", ")
        : issue.path.map(String).join(".") || "(file)";
    throw new InputError("RELEASE_FIELD", issue.message, {
      file,
      field,
      hint: `allowed fields: ${Object.keys(ReleaseConfigSchema.shape).join(", ")}`,
    });
  }
  const base = dirname(file);
  const config = result.data;
  const image = (field: "image" | "banner_image" | "featured_image", given: string) =>
    confine(resolve(base, given), {
      file,
      field,
      entry: `release.json: ${field} = ${JSON.stringify(given)}`,
      roots: [base],
    });
  return {
    ...config,
    image: await image("image", config.image),
    banner_image:
      config.banner_image === undefined ? undefined : await image("banner_image", config.banner_image),
    featured_image:
      config.featured_image === undefined ? undefined : await image("featured_image", config.featured_image),
  };
}

/** The ERC-7572 `contractURI()` document (the fields OpenSea reads for a collection page). */
export const CollectionMetadataSchema = z.strictObject({
  name: z.string().min(1),
  symbol: z.string().optional(),
  description: z.string().min(1),
  image: z.string().regex(/^ipfs:\/\/[a-zA-Z0-9]+$/),
  banner_image: z
    .string()
    .regex(/^ipfs:\/\/[a-zA-Z0-9]+$/)
    .optional(),
  featured_image: z
    .string()
    .regex(/^ipfs:\/\/[a-zA-Z0-9]+$/)
    .optional(),
  external_link: z.url().optional(),
  collaborators: z.array(address).optional(),
});
export type CollectionMetadata = z.infer<typeof CollectionMetadataSchema>;

export function buildCollectionMetadata(
  release: Omit<ReleaseConfig, "image" | "banner_image" | "featured_image">,
  locations: { imageCid: string; bannerCid?: string; featuredCid?: string },
): CollectionMetadata {
  return CollectionMetadataSchema.parse({
    name: release.name,
    symbol: release.symbol,
    description: release.description,
    image: `ipfs://${locations.imageCid}`,
    banner_image: locations.bannerCid === undefined ? undefined : `ipfs://${locations.bannerCid}`,
    featured_image: locations.featuredCid === undefined ? undefined : `ipfs://${locations.featuredCid}`,
    external_link: release.external_link,
    collaborators: release.collaborators,
  });
}
