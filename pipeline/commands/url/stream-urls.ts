import { audioLocator, audioObject } from "../../audit/check-audio.js";
import type { CollectionTarget } from "../../audit/collection-target.js";
import { providerSource } from "../../audit/metadata-source.js";
import { resolveTokenRef } from "../../audit/read-collection.js";
import { readVerifiedToken } from "../../audit/verified-token.js";
import type { StorageSet } from "../../storage/storage-set.js";

export interface StreamingUrls {
  tokenId: bigint;
  contentHash: string;
  /** One per provider that holds the audio: signed and expiring for a private bucket, permanent for IPFS. */
  urls: Array<{ provider: string; url: string; expires: boolean }>;
}

/** Playback URLs of a minted token's audio (`ref`: token id or SHA-256), from its verified metadata. */
export async function streamingUrls(
  target: CollectionTarget,
  storage: StorageSet,
  ref: string,
  expiresInSeconds?: number,
): Promise<StreamingUrls> {
  const tokenId = await resolveTokenRef(target.client, target.contract, ref);
  const sources = storage.ipfs.map(providerSource);
  const { token, metadata } = await readVerifiedToken(target.client, target.contract, tokenId, sources);
  const holders = storage.providersFor("audio", target.config.includeIpfsBackup);
  const urls = await Promise.all(
    holders.map(async ({ role, provider }) => {
      const object = audioObject(
        provider,
        audioLocator(role, metadata, token.contentHash),
        metadata,
        token.contentHash,
      );
      const url = await provider.url(object, { expiresInSeconds });
      return { provider: provider.name, url, expires: /[?&]X-Amz-Expires=/.test(url) };
    }),
  );
  return { tokenId, contentHash: token.contentHash, urls };
}
