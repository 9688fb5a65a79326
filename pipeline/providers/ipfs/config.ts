import { join } from "node:path";
import { z } from "zod";
import { parseEnv } from "../../config/env.js";
import { envInt, envString } from "../../config/env-values.js";
import { ConfigError } from "../../errors.js";
import { registerSecret } from "../../util/secrets.js";

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
  /** `user:password` (HTTP Basic) or `Bearer <token>`, as the node's `API.Authorizations` expects. */
  KUBO_RPC_AUTH: envString(),
  KUBO_GATEWAY_URL: httpUrl("the Kubo node's gateway"),
  LIGHTHOUSE_API_KEY: envString(),
  LIGHTHOUSE_API_URL: httpUrl("Lighthouse's upload API"),
  LIGHTHOUSE_GATEWAY_URL: httpUrl("Lighthouse's gateway"),
  PINNING_SERVICE_ENDPOINT: httpUrl("an IPFS Pinning Service API"),
  PINNING_SERVICE_GATEWAY_URL: httpUrl("the pinning service's gateway"),
  PINNING_SERVICE_TOKEN: envString(),
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
  kubo?: KuboConfig;
  lighthouse?: { apiKey: string; apiUrl: string; gateway: string };
  pinning?: { endpoint: string; token: string; timeoutMs: number; gateway?: string };
}

export interface KuboConfig {
  url: string;
  /** The Authorization header's value, from KUBO_RPC_AUTH. */
  authorization?: string;
  /** Reads go through the RPC's `cat` when no gateway is set. */
  gateway?: string;
}

export const LIGHTHOUSE_DEFAULT_API = "https://upload.lighthouse.storage";
export const LIGHTHOUSE_DEFAULT_GATEWAY = "https://gateway.lighthouse.storage";
export const NFT_STORAGE_DEFAULT_ENDPOINT = "https://api.nft.storage";
export const NFT_STORAGE_DEFAULT_GATEWAY = "https://nftstorage.link";
export const STORACHA_DEFAULT_GATEWAY = "https://storacha.link";

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

/**
 * KUBO_RPC_URL and KUBO_RPC_AUTH as the RPC client uses them. Node's fetch refuses URLs that carry
 * credentials, so they are named there and moved to KUBO_RPC_AUTH rather than failing on the first call.
 */
function kuboConfig(url: string, auth: string | undefined, gateway: string | undefined): KuboConfig {
  const parsed = new URL(url);
  if (parsed.username !== "" || parsed.password !== "") {
    registerSecret(decodeURIComponent(parsed.password) || undefined);
    throw new ConfigError("CONFIG", "the URL carries credentials, which HTTP clients refuse to send", {
      file: "environment",
      field: "KUBO_RPC_URL",
      hint: "remove user:password@ from KUBO_RPC_URL and set KUBO_RPC_AUTH=user:password (or KUBO_RPC_AUTH=Bearer <token>)",
    });
  }
  return { url, authorization: auth === undefined ? undefined : authorizationHeader(auth), gateway };
}

/** `Bearer <token>` is sent as it is; `user:password` becomes HTTP Basic. Each secret part is registered. */
function authorizationHeader(auth: string): string {
  const bearer = /^bearer\s+(\S+)$/i.exec(auth);
  if (bearer !== null) {
    registerSecret(bearer[1]);
    return auth;
  }
  const colon = auth.indexOf(":");
  if (colon > 0 && !/\s/.test(auth)) {
    const basic = `Basic ${Buffer.from(auth).toString("base64")}`;
    registerSecret(auth.slice(colon + 1));
    registerSecret(basic.slice("Basic ".length));
    return basic;
  }
  throw new ConfigError("CONFIG", "expected user:password or Bearer <token>", {
    file: "environment",
    field: "KUBO_RPC_AUTH",
    hint: "set it as the node's API.Authorizations AuthSecret says (basic:user:password → user:password, bearer:token → Bearer token)",
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
    e.KUBO_RPC_AUTH,
    e.LIGHTHOUSE_API_KEY,
  ]) {
    registerSecret(secret);
  }
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
  };
  if (requirePair(["W3UP_KEY", e.W3UP_KEY], ["W3UP_PROOF", e.W3UP_PROOF], "Storacha needs both")) {
    config.storacha = {
      key: e.W3UP_KEY!,
      proof: e.W3UP_PROOF!,
      serviceUrl: e.STORACHA_SERVICE_URL,
      serviceDid: e.STORACHA_SERVICE_DID,
      receiptsUrl: e.STORACHA_RECEIPTS_URL,
      gateway: e.STORACHA_GATEWAY_URL ?? STORACHA_DEFAULT_GATEWAY,
    };
  }
  if (e.NFT_STORAGE_TOKEN !== undefined) {
    config.nftStorage = {
      token: e.NFT_STORAGE_TOKEN,
      endpoint: e.NFT_STORAGE_ENDPOINT ?? NFT_STORAGE_DEFAULT_ENDPOINT,
      gateway: e.NFT_STORAGE_GATEWAY_URL ?? NFT_STORAGE_DEFAULT_GATEWAY,
    };
  }
  if (e.KUBO_RPC_URL !== undefined)
    config.kubo = kuboConfig(e.KUBO_RPC_URL, e.KUBO_RPC_AUTH, e.KUBO_GATEWAY_URL);
  if (e.LIGHTHOUSE_API_KEY !== undefined) {
    config.lighthouse = {
      apiKey: e.LIGHTHOUSE_API_KEY,
      apiUrl: e.LIGHTHOUSE_API_URL ?? LIGHTHOUSE_DEFAULT_API,
      gateway: e.LIGHTHOUSE_GATEWAY_URL ?? LIGHTHOUSE_DEFAULT_GATEWAY,
    };
  }
  if (
    requirePair(
      ["PINNING_SERVICE_ENDPOINT", e.PINNING_SERVICE_ENDPOINT],
      ["PINNING_SERVICE_TOKEN", e.PINNING_SERVICE_TOKEN],
      "a Pinning Service API needs its endpoint and an access token",
    )
  ) {
    config.pinning = {
      endpoint: e.PINNING_SERVICE_ENDPOINT!,
      token: e.PINNING_SERVICE_TOKEN!,
      timeoutMs: e.PINNING_TIMEOUT_SECONDS * 1000,
      gateway: e.PINNING_SERVICE_GATEWAY_URL,
    };
  }
  return config;
}
