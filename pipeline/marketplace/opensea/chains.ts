import { ConfigError } from "../../errors.js";

/** One EVM chain OpenSea lists: the slug its API and item pages name it by. */
export interface OpenSeaChain {
  chainId: number;
  slug: string;
  testnet: boolean;
}

/**
 * The chains OpenSea lists, keyed by chain id, with the slugs of its API v2 (`/api/v2/chain/{slug}/…`),
 * as opensea-js's `Chain` enum spells them. The only table of them: the sync, the listing and the export
 * read it.
 */
const CHAINS: readonly OpenSeaChain[] = [
  { chainId: 1, slug: "ethereum", testnet: false },
  { chainId: 137, slug: "matic", testnet: false },
  { chainId: 8453, slug: "base", testnet: false },
  { chainId: 42161, slug: "arbitrum", testnet: false },
  { chainId: 42170, slug: "arbitrum_nova", testnet: false },
  { chainId: 10, slug: "optimism", testnet: false },
  { chainId: 43114, slug: "avalanche", testnet: false },
  { chainId: 7777777, slug: "zora", testnet: false },
  { chainId: 11155111, slug: "sepolia", testnet: true },
  { chainId: 80002, slug: "amoy", testnet: true },
  { chainId: 84532, slug: "base_sepolia", testnet: true },
  { chainId: 421614, slug: "arbitrum_sepolia", testnet: true },
  { chainId: 11155420, slug: "optimism_sepolia", testnet: true },
  { chainId: 43113, slug: "avalanche_fuji", testnet: true },
  { chainId: 999999999, slug: "zora_sepolia", testnet: true },
];

/** The OpenSea chain of `chainId`, or undefined when OpenSea does not list it (a local chain, say). */
export function findOpenSeaChain(chainId: number): OpenSeaChain | undefined {
  return CHAINS.find((chain) => chain.chainId === chainId);
}

/** The OpenSea chain of `chainId`; a chain OpenSea does not list is a ConfigError naming it. */
export function openSeaChain(chainId: number): OpenSeaChain {
  const chain = findOpenSeaChain(chainId);
  if (chain !== undefined) return chain;
  throw new ConfigError("OPENSEA_CHAIN", `chain ${chainId} is not one OpenSea lists`, {
    field: "--rpc",
    hint: `OpenSea lists ${CHAINS.map((c) => `${c.slug} (${c.chainId})`).join(", ")}; mint on one of them to sell there`,
  });
}

/** The token's page on OpenSea (testnets have their own site). */
export function openSeaItemUrl(chain: OpenSeaChain, contract: string, tokenId: bigint | string): string {
  const site = chain.testnet ? "https://testnets.opensea.io" : "https://opensea.io";
  return `${site}/item/${chain.slug}/${contract.toLowerCase()}/${tokenId}`;
}
