import { z } from "zod";
import { ProviderError } from "../../errors.js";
import type { OpenSeaClient } from "./client.js";

/** The part of OpenSea's NFT object (API v2, `GET …/nfts/{identifier}`) the sync reads. */
export const OpenSeaNftSchema = z.object({
  identifier: z.string(),
  collection: z.string(),
  contract: z.string(),
  token_standard: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable().optional(),
  image_url: z.string().nullable(),
  display_image_url: z.string().nullable().optional(),
  animation_url: z.string().nullable().optional(),
  display_animation_url: z.string().nullable().optional(),
  metadata_url: z.string().nullable(),
  opensea_url: z.string(),
  updated_at: z.string(),
  is_disabled: z.boolean(),
  is_nsfw: z.boolean(),
});
export type OpenSeaNft = z.infer<typeof OpenSeaNftSchema>;

const GetNftSchema = z.object({ nft: OpenSeaNftSchema });

const nftPath = (chain: string, contract: string, tokenId: bigint) =>
  `/api/v2/chain/${chain}/contract/${contract.toLowerCase()}/nfts/${tokenId}`;

/** Queues a metadata refresh: OpenSea fetches tokenURI and the media again, later. */
export async function refreshNft(
  client: OpenSeaClient,
  chain: string,
  contract: string,
  tokenId: bigint,
  signal?: AbortSignal,
): Promise<void> {
  await client.request(
    "POST",
    `${nftPath(chain, contract, tokenId)}/refresh`,
    z.unknown(),
    undefined,
    signal,
  );
}

/** What OpenSea shows for the token, or undefined while it has not indexed it. */
export async function getNft(
  client: OpenSeaClient,
  chain: string,
  contract: string,
  tokenId: bigint,
  signal?: AbortSignal,
): Promise<OpenSeaNft | undefined> {
  try {
    return (await client.request("GET", nftPath(chain, contract, tokenId), GetNftSchema, undefined, signal))
      .nft;
  } catch (error) {
    if (error instanceof ProviderError && error.status === 404) return undefined;
    throw error;
  }
}
