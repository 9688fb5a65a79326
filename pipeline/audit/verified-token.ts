import type { PublicClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import { IntegrityError, ProviderError } from "../errors.js";
import type { TrackMetadata } from "../metadata/track-metadata.js";
import { checkMetadata } from "./check-metadata.js";
import type { MetadataSource } from "./metadata-source.js";
import { type OnChainToken, readToken } from "./read-collection.js";

/**
 * A token with its metadata, fetched and checked exactly as `dcmx verify` checks it; anything short of
 * verified metadata that describes the on-chain audio is an error naming the token (URLs and listings are
 * never built from a document we could not verify).
 */
export async function readVerifiedToken(
  client: PublicClient,
  contract: Hex,
  tokenId: bigint,
  sources: MetadataSource[],
): Promise<{ token: OnChainToken; metadata: TrackMetadata }> {
  const token = await readToken(client, contract, tokenId);
  const { check, metadata } = await checkMetadata(token, sources);
  if (metadata !== undefined) return { token, metadata };
  const context = {
    file: `token ${tokenId}`,
    field: "tokenURI",
    hint: "run dcmx verify for the whole picture",
  };
  const message = `metadata ${check.locator ?? token.tokenURI} is ${check.status}: ${check.detail}`;
  throw check.status === "unreachable"
    ? new ProviderError("METADATA", message, { ...context, provider: "ipfs" })
    : new IntegrityError("METADATA", message, context);
}
