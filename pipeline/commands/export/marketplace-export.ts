import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { animationMediaType } from "../../audit/animation-type.js";
import { fetchVerified } from "../../audit/check-metadata.js";
import type { CollectionTarget } from "../../audit/collection-target.js";
import { type MetadataSource, providerSource } from "../../audit/metadata-source.js";
import { collectionSize } from "../../audit/read-collection.js";
import { readVerifiedToken } from "../../audit/verified-token.js";
import { tracksAbi } from "../../chain/tracks-abi.js";
import { addressFile } from "../../content/index.js";
import { describeError, IntegrityError } from "../../errors.js";
import { findOpenSeaChain, openSeaItemUrl } from "../../marketplace/opensea/chains.js";
import { collectionAdvice, type StandardAdvice, tokenAdvice } from "../../marketplace/opensea/standard.js";
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

/**
 * One marketplace listing row: what OpenSea-style importers ask for, with HTTP URLs through `gateway`, and
 * the chain's own facts about the token (owner, royalty, frozen) read from the contract.
 */
export interface Listing {
  tokenId: string;
  name: string;
  description: string;
  image: string | null;
  animationUrl: string;
  /** What `animation_url` points at, from its first bytes (null when no IPFS provider holds it). */
  animationMimeType: string | null;
  externalUrl: string | null;
  contentHash: string;
  attributes: Array<{ trait_type: string; value: string | number }>;
  /** OpenSea's name for the chain, null when OpenSea does not list it. */
  chain: string | null;
  chainId: number;
  contract: string;
  tokenStandard: "ERC721" | "unknown";
  /** The tokenURI, as marketplaces fetch it. */
  metadataUrl: string;
  owner: string;
  royaltyReceiver: string;
  royaltyBps: number;
  frozen: boolean;
  /** The token's page on OpenSea, null when OpenSea does not list the chain. */
  marketplaceUrl: string | null;
  /** Where the token falls short of OpenSea's metadata standard (`field: advice`). */
  openSeaAdvice: string[];
}

export interface ExportResult {
  listings: Listing[];
  /** Tokens left out because their metadata could not be verified, with the reason. */
  skipped: Array<{ tokenId: string; reason: string }>;
  collection?: CollectionMetadata;
  /** Where the collection document falls short of OpenSea's collection fields (`field: advice`). */
  collectionAdvice: string[];
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
  const { openSea, ...chainFacts } = await collectionFacts(target);
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
      const mimeType = await animationMediaType(storage.ipfs, metadata, token.contentHash);
      listings.push({
        tokenId: String(id),
        name: metadata.name,
        description: metadata.description,
        image: metadata.image === undefined ? null : http(metadata.image),
        animationUrl: http(metadata.animation_url),
        animationMimeType: mimeType ?? null,
        externalUrl: metadata.external_url ?? null,
        contentHash: `0x${token.contentHash}`,
        attributes: metadata.attributes.map(({ trait_type, value }) => ({ trait_type, value })),
        ...chainFacts,
        metadataUrl: token.tokenURI,
        ...(await tokenFacts(target, BigInt(id))),
        marketplaceUrl: openSea === undefined ? null : openSeaItemUrl(openSea, target.contract, BigInt(id)),
        openSeaAdvice: adviceLines(tokenAdvice({ metadata, animationMimeType: mimeType ?? null })),
      });
    } catch (error) {
      skipped.push({ tokenId: String(id), reason: describeError(error) });
    }
  }
  const { collection: document, source } = await collectionDocument(target, sources);
  const files = [join(options.outDir, "tokens.json"), join(options.outDir, "tokens.csv")];
  await mkdir(options.outDir, { recursive: true });
  await writeFile(files[0]!, `${redact(JSON.stringify(listings, null, 2))}\n`);
  await writeFile(files[1]!, toCsv(listings));
  if (document !== undefined) {
    const forListing = {
      ...document,
      image: http(document.image),
      banner_image: document.banner_image && http(document.banner_image),
      featured_image: document.featured_image && http(document.featured_image),
    };
    files.push(join(options.outDir, "collection.json"));
    await writeFile(files[2]!, `${JSON.stringify(forListing, null, 2)}\n`);
  }
  return {
    listings,
    skipped,
    collection: document,
    collectionAdvice: document === undefined ? [] : adviceLines(collectionAdvice(document)),
    collectionSource: source,
    files,
  };
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
    featuredCid: release.featured_image === undefined ? undefined : await cidOf(release.featured_image),
  });
  return { collection, source: `${releaseFile} (contractURI is not set on chain)` };
}

/** What the contract says of the whole collection: its chain, address and token standard. */
async function collectionFacts(target: CollectionTarget) {
  const chainId = await target.client.getChainId();
  const openSea = findOpenSeaChain(chainId);
  const erc721 = await target.client.readContract({
    address: target.contract,
    abi: tracksAbi,
    functionName: "supportsInterface",
    args: [ERC721_INTERFACE_ID],
  });
  return {
    openSea,
    chain: openSea?.slug ?? null,
    chainId,
    contract: target.contract,
    tokenStandard: erc721 ? ("ERC721" as const) : ("unknown" as const),
  };
}

/** What the contract says of one token now: who owns it, who is paid royalties and how much, frozen or not. */
async function tokenFacts(target: CollectionTarget, tokenId: bigint) {
  const read = { address: target.contract, abi: tracksAbi } as const;
  const [owner, [royaltyReceiver, royaltyBps], frozen] = await Promise.all([
    target.client.readContract({ ...read, functionName: "ownerOf", args: [tokenId] }),
    // The royalty on a sale of 10,000 units is the rate in basis points.
    target.client.readContract({ ...read, functionName: "royaltyInfo", args: [tokenId, BPS] }),
    target.client.readContract({ ...read, functionName: "isMetadataFrozen", args: [tokenId] }),
  ]);
  return { owner, royaltyReceiver, royaltyBps: Number(royaltyBps), frozen };
}

const BPS = 10_000n;
const ERC721_INTERFACE_ID = "0x80ac58cd";

/** The CSV columns, in order, and how each reads a listing. */
const CSV_COLUMNS: Array<[string, (l: Listing) => string | number | boolean | null]> = [
  ["token_id", (l) => l.tokenId],
  ["name", (l) => l.name],
  ["description", (l) => l.description],
  ["image", (l) => l.image],
  ["animation_url", (l) => l.animationUrl],
  ["animation_mime_type", (l) => l.animationMimeType],
  ["external_url", (l) => l.externalUrl],
  ["content_hash", (l) => l.contentHash],
  ["attributes", (l) => l.attributes.map((a) => `${a.trait_type}: ${a.value}`).join("; ")],
  ["chain", (l) => l.chain],
  ["chain_id", (l) => l.chainId],
  ["contract", (l) => l.contract],
  ["token_standard", (l) => l.tokenStandard],
  ["metadata_url", (l) => l.metadataUrl],
  ["owner", (l) => l.owner],
  ["royalty_receiver", (l) => l.royaltyReceiver],
  ["royalty_bps", (l) => l.royaltyBps],
  ["frozen", (l) => l.frozen],
  ["marketplace_url", (l) => l.marketplaceUrl],
  ["opensea_advice", (l) => l.openSeaAdvice.join("; ")],
];

const adviceLines = (advice: StandardAdvice[]) => advice.map((a) => `${a.field}: ${a.message}`);

function toCsv(listings: Listing[]): string {
  const cell = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const header = CSV_COLUMNS.map(([name]) => name).join(",");
  const rows = listings.map((l) => CSV_COLUMNS.map(([, read]) => cell(String(read(l) ?? ""))).join(","));
  return `${[header, ...rows].join("\n")}\n`;
}

export const defaultExportDir = (workDir: string) => join(workDir, "export");
