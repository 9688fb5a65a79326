import pLimit from "p-limit";
import type { PublicClient } from "viem";
import { type AuditReport, type Check, countStatuses, type TokenAudit } from "../../audit/audit-report.js";
import { audioLocator, checkAudio } from "../../audit/check-audio.js";
import { checkMetadata } from "../../audit/check-metadata.js";
import { gatewaySource, type MetadataSource, providerSource } from "../../audit/metadata-source.js";
import { collectionSize, readToken } from "../../audit/read-collection.js";
import type { Hex } from "../../chain/tracks-chain.js";
import type { StoreTarget } from "../../stages/store.js";
import type { StorageSet } from "../../storage/storage-set.js";

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
  const sources = metadataSources(storage, options.gateway);
  const holders = storage.providersFor("audio", options.includeIpfsBackup);
  const limit = pLimit(options.concurrency ?? 4);

  const tokens = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      limit(async (): Promise<TokenAudit> => {
        const audit = await auditToken({ client, contract, sources, holders, signal }, BigInt(i + 1));
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

/** Where the audit reads metadata: the storage set's IPFS providers, then the trustless gateway if given. */
export function metadataSources(storage: StorageSet, gateway?: string): MetadataSource[] {
  const sources: MetadataSource[] = storage.ipfs.map(providerSource);
  if (gateway !== undefined) sources.push(gatewaySource(gateway));
  return sources;
}

/** What one token's audit reads from: the chain, the metadata sources and the providers of its audio. */
export interface TokenAuditContext {
  client: PublicClient;
  contract: Hex;
  sources: MetadataSource[];
  holders: StoreTarget[];
  signal?: AbortSignal;
}

/** One token's checks: its metadata, then its audio on every provider that should hold it. */
export async function auditToken(ctx: TokenAuditContext, tokenId: bigint): Promise<TokenAudit> {
  const token = await readToken(ctx.client, ctx.contract, tokenId);
  const { check, metadata } = await checkMetadata(token, ctx.sources, ctx.signal);
  const audio = await Promise.all(
    ctx.holders.map(({ role, provider }): Promise<Check> | Check =>
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
            ctx.signal,
          ),
    ),
  );
  return {
    tokenId: token.tokenId.toString(),
    contentHash: token.contentHash,
    tokenURI: token.tokenURI,
    name: metadata?.name ?? null,
    checks: [check, ...audio],
  };
}
