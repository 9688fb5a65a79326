import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchVerified } from "../../audit/check-metadata.js";
import type { CollectionTarget } from "../../audit/collection-target.js";
import { type MetadataSource, providerSource } from "../../audit/metadata-source.js";
import { collectionSize } from "../../audit/read-collection.js";
import { readVerifiedToken } from "../../audit/verified-token.js";
import { tracksAbi } from "../../chain/tracks-abi.js";
import { addressFile } from "../../content/index.js";
import { describeError, IntegrityError } from "../../errors.js";
import {
  buildCollectionMetadata,
  type CollectionMetadata,
  CollectionMetadataSchema,
  loadReleaseConfig,
} from "../../metadata/collection.js";
import { gatewayUrl } from "../../providers/ipfs/gateway-url.js";
import type { StorageSet } from "../../storage/storage-set.js";
import type { FilePath } from "../../util/file-name.js";
import { redact } from "../../util/secrets.js";

/** One marketplace listing row: what OpenSea-style importers ask for, with HTTP URLs through `gateway`. */
export interface Listing {
  tokenId: string;
  name: string;
  image: string | null;
  animationUrl: string;
  contentHash: string;
  attributes: Array<{ trait_type: string; value: string | number }>;
}

export interface ExportResult {
  listings: Listing[];
  /** Tokens left out because their metadata could not be verified, with the reason. */
  skipped: Array<{ tokenId: string; reason: string }>;
  collection?: CollectionMetadata;
  /** Where the collection document came from: the chain's contractURI, or release.json when none is set. */
  collectionSource?: string;
  files: string[];
}

/**
 * Writes listing-ready data for every token whose metadata verifies (tokens.json, tokens.csv) and the
 * collection's contractURI document (collection.json), with ipfs:// links rewritten through `gateway`.
 */
export async function exportCollection(options: {
  target: CollectionTarget;
  storage: StorageSet;
  gateway: string;
  outDir: string;
}): Promise<ExportResult> {
  const { target, storage, gateway } = options;
  const sources = storage.ipfs.map(providerSource);
  const http = (uri: string) => gatewayUrl(uri, gateway);
  const total = Number(await collectionSize(target.client, target.contract));
  const listings: Listing[] = [];
  const skipped: ExportResult["skipped"] = [];
  for (let id = 1; id <= total; id++) {
    try {
      const { token, metadata } = await readVerifiedToken(
        target.client,
        target.contract,
        BigInt(id),
        sources,
      );
      listings.push({
        tokenId: String(id),
        name: metadata.name,
        image: metadata.image === undefined ? null : http(metadata.image),
        animationUrl: http(metadata.animation_url),
        contentHash: `0x${token.contentHash}`,
        attributes: metadata.attributes.map(({ trait_type, value }) => ({ trait_type, value })),
      });
    } catch (error) {
      skipped.push({ tokenId: String(id), reason: describeError(error) });
    }
  }
  const { collection, source } = await collectionDocument(target, sources);
  const files = [join(options.outDir, "tokens.json"), join(options.outDir, "tokens.csv")];
  await mkdir(options.outDir, { recursive: true });
  await writeFile(files[0]!, `${redact(JSON.stringify(listings, null, 2))}\n`);
  await writeFile(files[1]!, toCsv(listings));
  if (collection !== undefined) {
    const forListing = {
      ...collection,
      image: http(collection.image),
      banner_image: collection.banner_image && http(collection.banner_image),
    };
    files.push(join(options.outDir, "collection.json"));
    await writeFile(files[2]!, `${JSON.stringify(forListing, null, 2)}\n`);
  }
  return { listings, skipped, collection, collectionSource: source, files };
}

/**
 * The chain's contractURI document, verified like token metadata; when the collection has none yet, the
 * one release.json describes, with the CIDs its images have under the run's profile (the cover is the
 * tracks' artwork, so the pipeline has pinned it).
 */
export async function collectionDocument(
  target: CollectionTarget,
  sources: MetadataSource[],
): Promise<{ collection?: CollectionMetadata; source?: string }> {
  const uri = await target.client.readContract({
    address: target.contract,
    abi: tracksAbi,
    functionName: "contractURI",
  });
  if (uri.startsWith("ipfs://")) {
    const { bytes, check } = await fetchVerified(uri.slice("ipfs://".length), sources);
    if (bytes === undefined) {
      throw new IntegrityError(
        "CONTRACT_URI",
        `the contractURI document is ${check.status}: ${check.detail}`,
        {
          file: uri,
          field: "contractURI",
        },
      );
    }
    return {
      collection: CollectionMetadataSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8"))),
      source: uri,
    };
  }
  const releaseFile = join(target.config.library, "release.json");
  if (!existsSync(releaseFile)) return {};
  const release = await loadReleaseConfig(releaseFile);
  const cidOf = async (path: FilePath) =>
    (await addressFile(path, { profile: target.config.cidProfile })).cid;
  const collection = buildCollectionMetadata(release, {
    imageCid: await cidOf(release.image),
    bannerCid: release.banner_image === undefined ? undefined : await cidOf(release.banner_image),
  });
  return { collection, source: `${releaseFile} (contractURI is not set on chain)` };
}

function toCsv(listings: Listing[]): string {
  const cell = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const header = "token_id,name,image,animation_url,content_hash,attributes";
  const rows = listings.map((l) =>
    [
      l.tokenId,
      l.name,
      l.image ?? "",
      l.animationUrl,
      l.contentHash,
      l.attributes.map((a) => `${a.trait_type}: ${a.value}`).join("; "),
    ]
      .map(cell)
      .join(","),
  );
  return `${[header, ...rows].join("\n")}\n`;
}

export const defaultExportDir = (workDir: string) => join(workDir, "export");
