import { join } from "node:path";
import { z } from "zod";
import { parseEnv } from "../../config/env.js";
import { envInt, envString } from "../../config/env-values.js";
import { ConfigError } from "../../errors.js";
import { registerSecret } from "../../util/secrets.js";
import { closedService, closedServiceLine } from "./closed-services.js";
import { parsePublicOrigins } from "./public-origin.js";

const httpUrl = (what: string) =>
  envString().pipe(z.url({ protocol: /^https?$/, error: `expected an http(s) URL of ${what}` }).optional());

/** Every IPFS variable; each remote backend is enabled by setting its credentials. */
export const IpfsEnvSchema = z.object({
  /** Directory of the embedded node's blocks and datastore; default `<workDir>/ipfs`. */
  IPFS_REPO: envString(),
  /** Port of the embedded node's local gateway (0 picks a free one). */
  IPFS_GATEWAY_PORT: envInt(8180, 0, 65_535),
  /** HTTP gateway that `ipfs://` links are rewritten to; default the embedded node's local gateway. */
  IPFS_GATEWAY_URL: httpUrl("an IPFS gateway"),
  W3UP_KEY: envString(),
  W3UP_PROOF: envString(),
  WEB3_STORAGE_TOKEN: envString(),
  STORACHA_SERVICE_URL: httpUrl("the Storacha upload service"),
  STORACHA_SERVICE_DID: envString().pipe(z.string().startsWith("did:", "expected a DID").optional()),
  STORACHA_RECEIPTS_URL: httpUrl("the Storacha receipts endpoint"),
  STORACHA_GATEWAY_URL: httpUrl("the gateway that serves Storacha content"),
  NFT_STORAGE_TOKEN: envString(),
  NFT_STORAGE_ENDPOINT: httpUrl("an NFT.Storage-compatible API"),
  NFT_STORAGE_GATEWAY_URL: httpUrl("the gateway that serves NFT.Storage content"),
  KUBO_RPC_URL: httpUrl("a Kubo RPC API"),
  KUBO_GATEWAY_URL: httpUrl("the Kubo node's gateway"),
  PINNING_SERVICE_ENDPOINT: httpUrl("an IPFS Pinning Service API"),
  PINNING_SERVICE_GATEWAY_URL: httpUrl("the pinning service's gateway"),
  PINNING_SERVICE_TOKEN: envString(),
  /** Public multiaddrs of a node holding the content, sent as the pins' `origins`. */
  PINNING_SERVICE_ORIGINS: envString(),
  PINNING_TIMEOUT_SECONDS: envInt(600, 1, 86_400),
});

export interface StorachaConfig {
  key: string;
  proof: string;
  serviceUrl?: string;
  serviceDid?: string;
  receiptsUrl?: string;
  /** Where stored content is read back from to verify it. */
  gateway: string;
}

export interface IpfsConfig {
  repo: string;
  gatewayPort: number;
  gatewayUrl?: string;
  storacha?: StorachaConfig;
  nftStorage?: { token: string; endpoint: string; gateway: string };
  kubo?: { url: string; gateway?: string };
  pinning?: { endpoint: string; token: string; timeoutMs: number; gateway?: string; origins: string[] };
  /** Backends that are configured but left out of every run, each with the line that says why. */
  unused: Array<{ provider: string; reason: string }>;
}

/** Settings of the embedded node; every other key of IpfsConfig configures a remote backend. */
const EMBEDDED_KEYS = new Set<string>(["repo", "gatewayPort", "gatewayUrl", "unused"]);

/** The keys of the remote backends a run will use (`kubo`, `pinning`, …). */
export function remoteBackends(config: IpfsConfig): string[] {
  return Object.entries(config)
    .filter(([key, value]) => !EMBEDDED_KEYS.has(key) && value !== undefined)
    .map(([key]) => key);
}

export const NFT_STORAGE_DEFAULT_GATEWAY = "https://nftstorage.link";
export const STORACHA_DEFAULT_GATEWAY = "https://storacha.link";

const PINNING_WITHOUT_ORIGIN =
  "the pinning service is not used: it pins by CID, fetching the blocks over the IPFS network, and no node " +
  "it can reach holds them (this machine's embedded node serves only 127.0.0.1). Set PINNING_SERVICE_ORIGINS " +
  "to the public multiaddrs of a node that holds the content, or configure a push backend (Kubo, Pinata, " +
  "Filebase, Lighthouse, IPFS Cluster) next to it (docs/storage/pinning-service.md)";

/** Both halves of a pair must be set together; naming the missing one is the whole point of the message. */
function requirePair(
  a: [string, string | undefined],
  b: [string, string | undefined],
  hint: string,
): boolean {
  if ((a[1] === undefined) === (b[1] === undefined)) return a[1] !== undefined;
  const missing = a[1] === undefined ? a[0] : b[0];
  throw new ConfigError("CONFIG", `${missing} is not set but ${missing === a[0] ? b[0] : a[0]} is`, {
    file: "environment",
    field: missing,
    hint,
  });
}

/** Reads and validates the IPFS variables and registers every secret among them before anyone can log it. */
export function loadIpfsConfig(env: Record<string, string | undefined>, workDir: string): IpfsConfig {
  const e = parseEnv(IpfsEnvSchema, env);
  for (const secret of [
    e.W3UP_KEY,
    e.W3UP_PROOF,
    e.WEB3_STORAGE_TOKEN,
    e.NFT_STORAGE_TOKEN,
    e.PINNING_SERVICE_TOKEN,
  ]) {
    registerSecret(secret);
  }
  if (e.KUBO_RPC_URL !== undefined) registerSecret(new URL(e.KUBO_RPC_URL).password || undefined);
  if (e.WEB3_STORAGE_TOKEN !== undefined && e.W3UP_KEY === undefined) {
    throw new ConfigError("CONFIG", "the old Web3.Storage API tokens no longer work", {
      file: "environment",
      field: "WEB3_STORAGE_TOKEN",
      hint: "Storacha (w3up) authenticates with an agent key and a space delegation: set W3UP_KEY and W3UP_PROOF (docs/STORAGE_SETUP.md, IPFS backends)",
    });
  }
  const config: IpfsConfig = {
    repo: e.IPFS_REPO ?? join(workDir, "ipfs"),
    gatewayPort: e.IPFS_GATEWAY_PORT,
    gatewayUrl: e.IPFS_GATEWAY_URL,
    unused: [],
  };
  // A closed public service is never contacted: its backend is left out, and said so, not retried.
  const closed = (provider: string, urls: Array<string | undefined>) => {
    const row = closedService(provider, urls);
    if (row !== undefined) config.unused.push({ provider, reason: closedServiceLine(row) });
    return row !== undefined;
  };
  if (
    requirePair(["W3UP_KEY", e.W3UP_KEY], ["W3UP_PROOF", e.W3UP_PROOF], "Storacha needs both") &&
    !closed("storacha", [e.STORACHA_SERVICE_URL, e.STORACHA_GATEWAY_URL ?? STORACHA_DEFAULT_GATEWAY])
  ) {
    config.storacha = {
      key: e.W3UP_KEY!,
      proof: e.W3UP_PROOF!,
      serviceUrl: e.STORACHA_SERVICE_URL,
      serviceDid: e.STORACHA_SERVICE_DID,
      receiptsUrl: e.STORACHA_RECEIPTS_URL,
      gateway: e.STORACHA_GATEWAY_URL ?? STORACHA_DEFAULT_GATEWAY,
    };
  }
  if (e.NFT_STORAGE_TOKEN !== undefined && !closed("nft-storage", [e.NFT_STORAGE_ENDPOINT])) {
    config.nftStorage = {
      token: e.NFT_STORAGE_TOKEN,
      endpoint: e.NFT_STORAGE_ENDPOINT!,
      gateway: e.NFT_STORAGE_GATEWAY_URL ?? NFT_STORAGE_DEFAULT_GATEWAY,
    };
  }
  if (e.KUBO_RPC_URL !== undefined) config.kubo = { url: e.KUBO_RPC_URL, gateway: e.KUBO_GATEWAY_URL };
  const origins = parsePublicOrigins(e.PINNING_SERVICE_ORIGINS);
  if (
    requirePair(
      ["PINNING_SERVICE_ENDPOINT", e.PINNING_SERVICE_ENDPOINT],
      ["PINNING_SERVICE_TOKEN", e.PINNING_SERVICE_TOKEN],
      "a Pinning Service API needs its endpoint and an access token",
    )
  ) {
    // Parsed last, after every push backend. Pinning by CID makes the service fetch the blocks over the IPFS network: from the origins named, or
    // from a push backend that holds them; never from this machine's embedded node on 127.0.0.1.
    if (origins.length === 0 && remoteBackends(config).length === 0) {
      config.unused.push({ provider: "pinning-service", reason: PINNING_WITHOUT_ORIGIN });
    } else {
      config.pinning = {
        endpoint: e.PINNING_SERVICE_ENDPOINT!,
        token: e.PINNING_SERVICE_TOKEN!,
        timeoutMs: e.PINNING_TIMEOUT_SECONDS * 1000,
        gateway: e.PINNING_SERVICE_GATEWAY_URL,
        origins,
      };
    }
  }
  return config;
}
