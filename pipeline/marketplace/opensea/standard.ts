import type { CollectionMetadata } from "../../metadata/collection.js";
import type { TrackMetadata } from "../../metadata/track-metadata.js";

/** Where a document falls short of what OpenSea's metadata standard advises, and what to do about it. */
export interface StandardAdvice {
  field: string;
  message: string;
}

/** OpenSea's docs: "Use images at least 3000 by 3000 pixels." */
export const MIN_IMAGE_SIDE = 3000;
/** OpenSea's docs: externally hosted media up to 300 MB. */
export const MAX_MEDIA_BYTES = 300 * 1000 * 1000;
/** The media types of the audio OpenSea plays (its docs: MP3, WAV, OGG, OGA). */
const PLAYABLE_TYPES = new Set(["audio/mpeg", "audio/wav", "audio/ogg"]);

/** What is known of a token besides its document: the type of what `animation_url` serves, if anything. */
export interface TokenFacts {
  metadata: TrackMetadata;
  animationMimeType: string | null;
}

type Rule<T> = (subject: T) => StandardAdvice | undefined;

/**
 * Token metadata against OpenSea's standard, one rule each. `background_color` is checked by the schema
 * itself (six hex digits, no #): a document with a malformed one does not parse.
 */
const TOKEN_RULES: Rule<TokenFacts>[] = [
  ({ metadata }) =>
    metadata.image === undefined
      ? {
          field: "image",
          message: "no image: OpenSea shows a placeholder; add artwork (cover.jpg beside the tracks)",
        }
      : undefined,
  ({ metadata }) => {
    const art = metadata.properties.artwork;
    if (art === undefined || Math.min(art.width, art.height) >= MIN_IMAGE_SIDE) return undefined;
    return {
      field: "image",
      message: `the artwork is ${art.width}×${art.height} px; OpenSea advises at least ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE}`,
    };
  },
  ({ animationMimeType }) =>
    animationMimeType === null
      ? {
          field: "animation_url",
          message: "no IPFS provider serves what animation_url points at; run dcmx verify --repair",
        }
      : undefined,
  ({ animationMimeType }) =>
    animationMimeType !== null && !PLAYABLE_TYPES.has(animationMimeType)
      ? {
          field: "animation_url",
          message: `points at ${animationMimeType}, which OpenSea's player does not play (MP3, WAV, OGG); give the token an MP3 or OGG preview`,
        }
      : undefined,
  ({ metadata }) =>
    metadata.properties.size > MAX_MEDIA_BYTES && metadata.losslessAudio === metadata.animation_url
      ? {
          field: "animation_url",
          message: `the audio is larger than the ${MAX_MEDIA_BYTES / 1e6} MB OpenSea plays`,
        }
      : undefined,
];

/** The contractURI document against OpenSea's collection fields. */
const COLLECTION_RULES: Rule<CollectionMetadata>[] = [
  (doc) =>
    doc.featured_image === undefined
      ? {
          field: "featured_image",
          message:
            "no featured image: OpenSea features the collection with its logo; set featured_image in release.json",
        }
      : undefined,
  (doc) =>
    doc.banner_image === undefined
      ? {
          field: "banner_image",
          message: "no banner: the collection page has a blank header; set banner_image in release.json",
        }
      : undefined,
  (doc) =>
    doc.external_link === undefined
      ? {
          field: "external_link",
          message: "no external_link: the collection page links nowhere; set it in release.json",
        }
      : undefined,
];

const apply = <T>(rules: Rule<T>[], subject: T) =>
  rules.map((rule) => rule(subject)).filter((advice) => advice !== undefined);

export const tokenAdvice = (facts: TokenFacts): StandardAdvice[] => apply(TOKEN_RULES, facts);
export const collectionAdvice = (doc: CollectionMetadata): StandardAdvice[] => apply(COLLECTION_RULES, doc);
