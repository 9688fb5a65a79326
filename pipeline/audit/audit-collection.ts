import pLimit from "p-limit";
import type { PublicClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import type { StorageSet } from "../storage/storage-set.js";
import { type AuditReport, type Check, countStatuses, type TokenAudit } from "./audit-report.js";
import { audioLocator, checkAudio } from "./check-audio.js";
import { checkMetadata } from "./check-metadata.js";
import { gatewaySource, type MetadataSource, providerSource } from "./metadata-source.js";
import { collectionSize, readToken } from "./read-collection.js";

export interface AuditOptions {
  client: PublicClient;
  contract: Hex;
  storage: StorageSet;
  /** Whether the IPFS group must hold audio too (INCLUDE_IPFS_BACKUP), as the pipeline stored it. */
  includeIpfsBackup: boolean;
  /** A trustless gateway tried for metadata after the storage set's own IPFS providers. */
  gateway?: string;
  /** Tokens checked at once (each streams its audio from every provider). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Called as each token's checks finish, e.g. to move a progress bar. */
  onToken?: (token: TokenAudit, total: number) => void;
}

/**
 * Audits every token of a collection: the chain's content hash and tokenURI against the metadata the
 * IPFS sources serve and the audio every provider that should hold it serves.
 */
export async function auditCollection(options: AuditOptions): Promise<AuditReport> {
  const { client, contract, storage, signal } = options;
  // The contract is checked first: an RPC that does not answer or an address without code is named there.
  const total = Number(await collectionSize(client, contract));
  const chainId = await client.getChainId();
  const sources: MetadataSource[] = storage.ipfs.map(providerSource);
  if (options.gateway !== undefined) sources.push(gatewaySource(options.gateway));
  const holders = storage.providersFor("audio", options.includeIpfsBackup);
  const limit = pLimit(options.concurrency ?? 4);

  const tokens = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      limit(async (): Promise<TokenAudit> => {
        const token = await readToken(client, contract, BigInt(i + 1));
        const { check, metadata } = await checkMetadata(token, sources, signal);
        const audio = await Promise.all(
          holders.map(({ role, provider }): Promise<Check> | Check =>
            metadata === undefined
              ? {
                  target: provider.name,
                  locator: null,
                  status: "skipped",
                  detail: "no usable metadata (see its row)",
                }
              : checkAudio(
                  provider,
                  audioLocator(role, metadata, token.contentHash),
                  metadata,
                  token.contentHash,
                  signal,
                ),
          ),
        );
        const audit: TokenAudit = {
          tokenId: token.tokenId.toString(),
          contentHash: token.contentHash,
          tokenURI: token.tokenURI,
          name: metadata?.name ?? null,
          checks: [check, ...audio],
        };
        options.onToken?.(audit, total);
        return audit;
      }),
    ),
  );
  return {
    version: 1,
    contract,
    chainId,
    checkedAt: new Date().toISOString(),
    tokens,
    totals: countStatuses(tokens),
  };
}
