import { fetchVerified } from "../audit/check-metadata.js";
import type { CollectionTarget } from "../audit/collection-target.js";
import { type MetadataSource, providerSource } from "../audit/metadata-source.js";
import { collectionSize, readToken } from "../audit/read-collection.js";
import { collectionDocument } from "../commands/export/marketplace-export.js";
import { InputError, IntegrityError } from "../errors.js";
import { deploymentKey } from "../ledger/records.js";
import { type TrackMetadata, TrackMetadataSchema } from "../metadata/track-metadata.js";
import type { StorageProvider } from "../providers/types.js";

/** One minted track as the release page shows it. */
export interface PageTrack {
  tokenId: string;
  metadataCid: string;
  metadata: TrackMetadata;
}

/** What the page needs of the ledger: a track by its audio SHA-256, with its tokens per deployment and its metadata CID. */
export interface TrackRecords {
  track(sha256: string): Promise<RecordedTrack | undefined>;
}
interface RecordedTrack {
  minted: Map<string, { tokenId: bigint }>;
  metadata?: { cid: string };
  verifiedMetadataCid?: string;
}

/** What a release page is built from: the collection, its chain, and its tokens in token order. */
export interface Release {
  name: string;
  description: string;
  externalLink?: string;
  /** ipfs:// URI of the release's cover (the collection image, else the first track's artwork). */
  cover?: string;
  chainId: number;
  contract: string;
  tracks: PageTrack[];
}

/**
 * Reads a release: the collection's tokens from the chain, each one's metadata CID from the run's records
 * (tokens the records do not know are left out), and the metadata documents, each fetched from the IPFS
 * providers and checked against its CID (a page is never built from a document we could not verify).
 */
export async function readRelease(options: {
  target: CollectionTarget;
  records: TrackRecords;
  ipfs: StorageProvider[];
}): Promise<Release> {
  const { target, records } = options;
  const chainId = await target.client.getChainId();
  const key = deploymentKey({ chainId, contract: target.contract });
  const sources = options.ipfs.map(providerSource);
  const minted: Array<{ tokenId: bigint; metadataCid: string }> = [];
  const total = await collectionSize(target.client, target.contract);
  for (let tokenId = 1n; tokenId <= total; tokenId++) {
    const { contentHash } = await readToken(target.client, target.contract, tokenId);
    const track = await records.track(contentHash);
    const metadataCid = track?.verifiedMetadataCid ?? track?.metadata?.cid;
    if (track?.minted.get(key)?.tokenId === tokenId && metadataCid !== undefined) {
      minted.push({ tokenId, metadataCid });
    }
  }
  if (minted.length === 0) {
    throw new InputError(
      "NOTHING_MINTED",
      `the run's records know none of the ${total} tokens of ${target.contract} on chain ${chainId}`,
      {
        file: target.config.workDir,
        field: "--workdir",
        hint: "build the page from the work directory that minted the collection (--workdir), on its chain (--rpc)",
      },
    );
  }
  const tracks: PageTrack[] = [];
  for (const { tokenId, metadataCid } of minted) {
    tracks.push({
      tokenId: String(tokenId),
      metadataCid,
      metadata: await readMetadata(metadataCid, sources),
    });
  }
  // The album's order where the tags give it; tracks without a number after, in mint order.
  const position = ({ metadata }: PageTrack) =>
    (metadata.properties.discNumber ?? 1) * 10_000 + (metadata.trackNumber ?? 9_999);
  tracks.sort((a, b) => position(a) - position(b));
  const { collection } = await collectionDocument(target, sources);
  const first = tracks[0]!.metadata;
  return {
    name: collection?.name ?? first.project?.title ?? first.properties.album ?? first.name,
    description: collection?.description ?? first.description,
    externalLink: collection?.external_link,
    cover: collection?.image ?? first.image,
    chainId,
    contract: target.contract,
    tracks,
  };
}

async function readMetadata(cid: string, sources: MetadataSource[]): Promise<TrackMetadata> {
  const { bytes, check } = await fetchVerified(cid, sources);
  if (bytes === undefined) {
    throw new IntegrityError("METADATA", `metadata ${cid} is ${check.status}: ${check.detail}`, {
      file: cid,
      field: "metadata",
      hint: "run dcmx verify, then dcmx verify --repair to restore it from a verified copy",
    });
  }
  return TrackMetadataSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
}
