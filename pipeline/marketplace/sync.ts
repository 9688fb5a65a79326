import { setTimeout as sleep } from "node:timers/promises";
import type { PublicClient } from "viem";
import { collectionSize } from "../audit/read-collection.js";
import { tracksAbi } from "../chain/tracks-abi.js";
import type { Hex } from "../chain/tracks-chain.js";
import { AbortedError, AuthError, describeError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { RunEvents } from "../report/events.js";
import { openSeaChain, openSeaItemUrl } from "./opensea/chains.js";
import type { OpenSeaClient } from "./opensea/client.js";
import { getNft, type OpenSeaNft, refreshNft } from "./opensea/nfts.js";

/** What the marketplace shows for one token after the sync. */
export type SyncStatus =
  /** Ingested from the current tokenURI, with image and animation, not disabled. */
  | "shown"
  /** Ingested, but the marketplace shows no image or no playable animation. */
  | "incomplete"
  /** The marketplace hides the token. */
  | "disabled"
  /** The marketplace did not show the current tokenURI before the wait ended. */
  | "not ingested"
  /** The refresh or the look-up failed. */
  | "failed";

export interface TokenSync {
  tokenId: string;
  tokenURI: string;
  status: SyncStatus;
  detail: string;
  /** The token's page on the marketplace. */
  url: string;
  name: string | null;
}

export interface SyncResult {
  chain: string;
  contract: Hex;
  tokens: TokenSync[];
  /** Tokens whose tokenURI the marketplace was already seen ingesting: nothing sent for them. */
  unchanged: number;
}

export interface SyncOptions {
  client: PublicClient;
  contract: Hex;
  opensea: OpenSeaClient;
  ledger: Ledger;
  progress: RunEvents;
  /** Refresh every token, not only those changed since the last sync. */
  all?: boolean;
  /** How long to wait for the marketplace to show what a refresh asked for. */
  waitMs?: number;
  /** The longest pause between look-ups (they start short and double). */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_WAIT_MS = 120_000;
const DEFAULT_POLL_MS = 2_000;
const FIRST_POLL_MS = 250;

/**
 * Tells OpenSea about every token whose tokenURI it was not yet seen showing (all with `all`): a refresh per
 * token, then its NFT read back until it shows the current tokenURI, and a verdict on what it shows (image,
 * playable animation, not disabled). Tokens ingested are journaled, so the next sync sends only what
 * changed. A refused key stops the sync at once.
 */
export async function syncMarketplace(options: SyncOptions): Promise<SyncResult> {
  const { client, contract, opensea, ledger, progress, signal } = options;
  const chainId = await client.getChainId();
  const chain = openSeaChain(chainId);
  const deployment = { chainId, contract };
  const total = Number(await collectionSize(client, contract));
  const synced = await ledger.marketplaceSynced(deployment, "opensea");
  const pending: TokenSync[] = [];
  let unchanged = 0;
  for (let id = 1n; id <= BigInt(total); id++) {
    const tokenURI = await client.readContract({
      address: contract,
      abi: tracksAbi,
      functionName: "tokenURI",
      args: [id],
    });
    if (!options.all && synced.get(String(id)) === tokenURI) {
      unchanged++;
      continue;
    }
    const url = openSeaItemUrl(chain, contract, id);
    pending.push({ tokenId: String(id), tokenURI, status: "not ingested", detail: "", url, name: null });
  }
  progress.emit({ type: "started", total: pending.length });
  const label = (token: TokenSync) => `token ${token.tokenId}${token.name ? ` "${token.name}"` : ""}`;
  const settle = (token: TokenSync, status: SyncStatus, detail: string) => {
    token.status = status;
    token.detail = detail;
    if (status === "shown") progress.emit({ type: "done", file: label(token), bytes: 0, outcome: "synced" });
    // The status is how far the marketplace got with the token: the step it stopped at.
    else progress.emit({ type: "failed", file: label(token), stage: status, error: detail });
  };

  const waiting: TokenSync[] = [];
  for (const token of pending) {
    try {
      await refreshNft(opensea, chain.slug, contract, BigInt(token.tokenId), signal);
      waiting.push(token);
    } catch (error) {
      if (error instanceof AuthError || error instanceof AbortedError) throw error;
      settle(token, "failed", `refresh: ${describeError(error)}`);
    }
  }

  const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  let round = 0;
  while (waiting.length > 0) {
    for (const token of [...waiting]) {
      let nft: OpenSeaNft | undefined;
      try {
        nft = await getNft(opensea, chain.slug, contract, BigInt(token.tokenId), signal);
      } catch (error) {
        if (error instanceof AuthError || error instanceof AbortedError) throw error;
        settle(token, "failed", `look-up: ${describeError(error)}`);
        waiting.splice(waiting.indexOf(token), 1);
        continue;
      }
      // Until the marketplace shows the tokenURI the chain has now, what it shows is the old document.
      if (nft === undefined || nft.metadata_url !== token.tokenURI) continue;
      waiting.splice(waiting.indexOf(token), 1);
      token.name = nft.name;
      token.url = nft.opensea_url;
      const [status, detail] = verdict(nft);
      // Ingested is synced, whatever the verdict: a refresh cannot change what the same document says.
      await ledger.record({
        type: "marketplace-synced",
        deployment,
        marketplace: "opensea",
        tokenId: token.tokenId,
        tokenURI: token.tokenURI,
      });
      settle(token, status, detail);
    }
    if (waiting.length === 0) break;
    if (Date.now() >= deadline) {
      for (const token of waiting) {
        settle(
          token,
          "not ingested",
          `OpenSea did not show ${token.tokenURI} within ${Math.round((options.waitMs ?? DEFAULT_WAIT_MS) / 1000)} s`,
        );
      }
      break;
    }
    // Refreshes usually land in moments: ask again soon, then less often.
    const pause = Math.min(options.pollIntervalMs ?? DEFAULT_POLL_MS, FIRST_POLL_MS * 2 ** round++);
    await sleep(pause, undefined, { signal }).catch(() => {
      throw new AbortedError();
    });
  }
  progress.emit({ type: "finished" });
  return { chain: chain.slug, contract, tokens: pending, unchanged };
}

/** The marketplace's view of an ingested token: everything a listener needs, or what is missing. */
function verdict(nft: OpenSeaNft): [SyncStatus, string] {
  if (nft.is_disabled)
    return ["disabled", "OpenSea has disabled this item (see its page or contact OpenSea)"];
  const missing = [
    nft.image_url ? undefined : "no image",
    // OpenSea's playable copy when it reports one; a format it cannot play has none.
    (nft.display_animation_url !== undefined ? nft.display_animation_url : nft.animation_url)
      ? undefined
      : "no playable animation_url",
  ].filter((m) => m !== undefined);
  if (missing.length > 0)
    return ["incomplete", `${missing.join(", ")} (dcmx verify and dcmx doctor say why)`];
  return ["shown", "metadata, image and animation shown"];
}

/** The summary a person reads after a sync: one line per token sent, and what was left alone. */
export function syncSummary(result: SyncResult): string[] {
  const lines = [`OpenSea (${result.chain}) ${result.contract}:`];
  for (const token of result.tokens) {
    lines.push(
      `  ${token.status === "shown" ? "✓" : "✗"} token ${token.tokenId}${token.name ? ` "${token.name}"` : ""}: ${token.status} — ${token.detail} ${token.url}`,
    );
  }
  const shown = result.tokens.filter((t) => t.status === "shown").length;
  lines.push(
    `  ${shown}/${result.tokens.length} refreshed tokens shown; ${result.unchanged} unchanged since the last sync (not sent)`,
  );
  return lines;
}
