// Longer than 300 lines because it is one table: every IPFS variable of the environment with its schema, and
// how each backend's settings are built and cross-checked from it (pairs, closed services, public origins).
import { join } from "node:path";
import { z } from "zod";
import { parseEnv } from "../../config/env.js";
import { envHttpUrl, envInt, envString } from "../../config/env-values.js";
import { ConfigError } from "../../errors.js";
import { registerSecret } from "../../util/secrets.js";
import { closedService, closedServiceLine } from "./closed-services.js";
import { authorizationHeader, refuseUrlCredentials } from "./http-auth.js";
import { parsePublicOrigins } from "./public-origin.js";

/** Every IPFS variable; each remote backend is enabled by setting its credentials. */
export const IpfsEnvSchema = z.object({
  /** Directory of the embedded node's blocks and datastore; default `<workDir>/ipfs`. */
  IPFS_REPO: envString(),
  /** Port of the embedded node's local gateway (0 picks a free one). */
  IPFS_GATEWAY_PORT: envInt(8180, 0, 65_535),
  /** HTTP gateway that `ipfs://` links are rewritten to; default the embedded node's local gateway. */
  IPFS_GATEWAY_URL: envHttpUrl("an IPFS gateway"),
  W3UP_KEY: envString(),
  W3UP_PROOF: envString(),
  WEB3_STORAGE_TOKEN: envString(),
  STORACHA_SERVICE_URL: envHttpUrl("the Storacha upload service"),
  STORACHA_SERVICE_DID: envString().pipe(z.string().startsWith("did:", "expected a DID").optional()),
  STORACHA_RECEIPTS_URL: envHttpUrl("the Storacha receipts endpoint"),
  STORACHA_GATEWAY_URL: envHttpUrl("the gateway that serves Storacha content"),
  NFT_STORAGE_TOKEN: envString(),
  NFT_STORAGE_ENDPOINT: envHttpUrl("an NFT.Storage-compatible API"),
  NFT_STORAGE_GATEWAY_URL: envHttpUrl("the gateway that serves NFT.Storage content"),
  KUBO_RPC_URL: envHttpUrl("a Kubo RPC API"),
  /** `user:password` (HTTP Basic) or `Bearer <token>`, as the node's `API.Authorizations` expects. */
  KUBO_RPC_AUTH: envString(),
  KUBO_GATEWAY_URL: envHttpUrl("the Kubo node's gateway"),
  LIGHTHOUSE_API_KEY: envString(),
  LIGHTHOUSE_API_URL: envHttpUrl("Lighthouse's upload API"),
  LIGHTHOUSE_GATEWAY_URL: envHttpUrl("Lighthouse's gateway"),
  PINNING_SERVICE_ENDPOINT: envHttpUrl("an IPFS Pinning Service API"),
  PINNING_SERVICE_GATEWAY_URL: envHttpUrl("the pinning service's gateway"),
  PINNING_SERVICE_TOKEN: envString(),
  /** Public multiaddrs of a node holding the content, sent as the pins' `origins`. */
  PINNING_SERVICE_ORIGINS: envString(),
  PINNING_TIMEOUT_SECONDS: envInt(600, 1, 86_400),
  IPFS_CLUSTER_URL: envHttpUrl("an IPFS Cluster REST API"),
  IPFS_CLUSTER_AUTH: envString(),
  IPFS_CLUSTER_REPLICATION: envString().transform((value, ctx) => {
    if (value === undefined) return undefined;
    const replication = parseReplication(value);
    if (replication === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected min,max with 1 ≤ min ≤ max, or -1,-1 for every peer; got "${value}"`,
      });
      return z.NEVER;
    }
    return replication;
  }),
  IPFS_CLUSTER_GATEWAY_URL: envHttpUrl("the gateway of one of the cluster's IPFS peers"),
  IPFS_CLUSTER_PIN_TIMEOUT_SECONDS: envInt(600, 1, 86_400),
  /** Pinata v3 Files API: an API key's JWT; the upload and API hosts; the account's dedicated gateway. */
  PINATA_JWT: envString(),
  PINATA_UPLOAD_URL: envHttpUrl("Pinata's upload API"),
  PINATA_API_URL: envHttpUrl("Pinata's API"),
  PINATA_GATEWAY_URL: envHttpUrl("your Pinata dedicated gateway"),
  /**
   * How long a remote backend's gateway may answer 404 for content it has just taken before the upload
   * counts as lost (hosted gateways need seconds to show fresh uploads).
   */
  IPFS_READBACK_WINDOW_SECONDS: envInt(60, 1, 3_600),
  FILEBASE_ACCESS_KEY: envString(),
  FILEBASE_SECRET_KEY: envString(),
  /** An IPFS bucket: only those give a CID for what is put in them. */
  FILEBASE_BUCKET: envString(),
  FILEBASE_ENDPOINT: envHttpUrl("Filebase's S3 API for IPFS buckets"),
  FILEBASE_GATEWAY_URL: envHttpUrl("the gateway that serves Filebase content"),
});

/** How many cluster peers must pin a CID (`-1,-1`: every peer), as the cluster's own replication factors. */
export interface Replication {
  min: number;
  max: number;
}

/** The cluster's rule (`isReplicationFactorValid`): both -1, or whole numbers 1 ≤ min ≤ max. */
function parseReplication(value: string): Replication | undefined {
  const parts = value.split(",").map((part) => part.trim());
  if (parts.length !== 2 || !parts.every((part) => /^-?\d+$/.test(part))) return undefined;
  const [min, max] = parts.map(Number) as [number, number];
  const everywhere = min === -1 && max === -1;
  return everywhere || (min >= 1 && max >= min) ? { min, max } : undefined;
}

export interface IpfsClusterConfig {
  /** The REST API (default port 9094), not the Kubo-compatible proxy. */
  url: string;
  /** The Authorization header value, when the API asks for credentials. */
  authorization?: string;
  /** Unset: the cluster's own defaults decide, and one pinned peer counts as stored. */
  replication?: Replication;
  /** Gateway of one of the cluster's IPFS peers: the REST API has no way to read content back. */
  gateway: string;
  /** How long the peers may take to pin an added CID before the upload counts as failed. */
  pinTimeoutMs: number;
}

export interface StorachaConfig {
  key: string;
  proof: string;
  serviceUrl?: string;
  serviceDid?: string;
  receiptsUrl?: string;
  /** Where stored content is read back from to verify it. */
  gateway: string;
}

export interface PinataConfig {
  jwt: string;
  uploadUrl: string;
  apiUrl: string;
  /** The account's dedicated gateway, where uploads are read back. */
  gateway: string;
  /** Where a CAR is written before it is sent: in the work directory, never in memory or a RAM-backed /tmp. */
  spoolDir: string;
}

export interface FilebaseConfig {
  accessKey: string;
  secretKey: string;
  bucket: string;
  endpoint: string;
  /** Where stored content is read back from to verify it. */
  gateway: string;
}

export interface IpfsConfig {
  repo: string;
  gatewayPort: number;
  gatewayUrl?: string;
  /** See IPFS_READBACK_WINDOW_SECONDS. */
  readBackWindowMs: number;
  storacha?: StorachaConfig;
  nftStorage?: { token: string; endpoint: string; gateway: string };
  kubo?: KuboConfig;
  lighthouse?: { apiKey: string; apiUrl: string; gateway: string };
  pinning?: { endpoint: string; token: string; timeoutMs: number; gateway?: string; origins: string[] };
  cluster?: IpfsClusterConfig;
  pinata?: PinataConfig;
  filebase?: FilebaseConfig;
  /** Backends that are configured but left out of every run, each with the line that says why. */
  unused: Array<{ provider: string; reason: string }>;
}

export interface KuboConfig {
  url: string;
  /** The Authorization header's value, from KUBO_RPC_AUTH. */
  authorization?: string;
  /** Reads go through the RPC's `cat` when no gateway is set. */
  gateway?: string;
}

/** Settings of the embedded node; every other key of IpfsConfig configures a remote backend. */
const EMBEDDED_KEYS = new Set<string>(["repo", "gatewayPort", "gatewayUrl", "readBackWindowMs", "unused"]);

/** The keys of the remote backends a run will use (`kubo`, `pinning`, …). */
export function remoteBackends(config: IpfsConfig): string[] {
  return Object.entries(config)
    .filter(([key, value]) => !EMBEDDED_KEYS.has(key) && value !== undefined)
    .map(([key]) => key);
}

export const LIGHTHOUSE_DEFAULT_API = "https://upload.lighthouse.storage";
export const LIGHTHOUSE_DEFAULT_GATEWAY = "https://gateway.lighthouse.storage";
export const NFT_STORAGE_DEFAULT_ENDPOINT = "https://api.nft.storage";
export const NFT_STORAGE_DEFAULT_GATEWAY = "https://nftstorage.link";
export const STORACHA_DEFAULT_GATEWAY = "https://storacha.link";
export const PINATA_DEFAULT_UPLOAD_URL = "https://uploads.pinata.cloud";
export const PINATA_DEFAULT_API_URL = "https://api.pinata.cloud";
/** The S3 endpoint of IPFS buckets; s3.filebase.io is the object tier, whose objects get no CID. */
export const FILEBASE_DEFAULT_ENDPOINT = "https://s3.filebase.com";
/** Filebase's public gateway: rate-limited and meant for testing; a dedicated gateway is better. */
export const FILEBASE_DEFAULT_GATEWAY = "https://ipfs.filebase.io";

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

/** KUBO_RPC_URL and KUBO_RPC_AUTH as the RPC client uses them (credentials never inside the URL). */
function kuboConfig(url: string, auth: string | undefined, gateway: string | undefined): KuboConfig {
  refuseUrlCredentials("KUBO_RPC_URL", url, "KUBO_RPC_AUTH");
  return {
    url,
    authorization: auth === undefined ? undefined : authorizationHeader("KUBO_RPC_AUTH", auth),
    gateway,
  };
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
    e.PINATA_JWT,
    e.FILEBASE_ACCESS_KEY,
    e.FILEBASE_SECRET_KEY,
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
    readBackWindowMs: e.IPFS_READBACK_WINDOW_SECONDS * 1000,
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
  if (e.KUBO_RPC_URL !== undefined)
    config.kubo = kuboConfig(e.KUBO_RPC_URL, e.KUBO_RPC_AUTH, e.KUBO_GATEWAY_URL);
  if (e.LIGHTHOUSE_API_KEY !== undefined) {
    config.lighthouse = {
      apiKey: e.LIGHTHOUSE_API_KEY,
      apiUrl: e.LIGHTHOUSE_API_URL ?? LIGHTHOUSE_DEFAULT_API,
      gateway: e.LIGHTHOUSE_GATEWAY_URL ?? LIGHTHOUSE_DEFAULT_GATEWAY,
    };
  }
  const cluster = clusterConfig(e);
  if (cluster !== undefined) config.cluster = cluster;
  if (e.PINATA_JWT !== undefined) config.pinata = pinataConfig(e, workDir);
  if (
    requirePair(
      ["FILEBASE_ACCESS_KEY", e.FILEBASE_ACCESS_KEY],
      ["FILEBASE_SECRET_KEY", e.FILEBASE_SECRET_KEY],
      "set both keys of one Filebase access key pair (console, Access Keys), or neither",
    )
  ) {
    if (e.FILEBASE_BUCKET === undefined) {
      throw new ConfigError("CONFIG", "is not set but the Filebase keys are", {
        file: "environment",
        field: "FILEBASE_BUCKET",
        hint: "name the IPFS bucket to store in (create one in the Filebase console with the IPFS network)",
      });
    }
    config.filebase = {
      accessKey: e.FILEBASE_ACCESS_KEY!,
      secretKey: e.FILEBASE_SECRET_KEY!,
      bucket: e.FILEBASE_BUCKET,
      endpoint: e.FILEBASE_ENDPOINT ?? FILEBASE_DEFAULT_ENDPOINT,
      gateway: e.FILEBASE_GATEWAY_URL ?? FILEBASE_DEFAULT_GATEWAY,
    };
  }
  const origins = parsePublicOrigins(e.PINNING_SERVICE_ORIGINS);
  if (
    requirePair(
      ["PINNING_SERVICE_ENDPOINT", e.PINNING_SERVICE_ENDPOINT],
      ["PINNING_SERVICE_TOKEN", e.PINNING_SERVICE_TOKEN],
      "a Pinning Service API needs its endpoint and an access token",
    )
  ) {
    // Parsed last, after every push backend. Pinning by CID makes the service fetch the blocks over the IPFS
    // network: from the origins named, or from a push backend that holds them; never from this machine's
    // embedded node on 127.0.0.1.
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

function clusterConfig(e: z.output<typeof IpfsEnvSchema>): IpfsClusterConfig | undefined {
  refuseUrlCredentials("IPFS_CLUSTER_URL", e.IPFS_CLUSTER_URL, "IPFS_CLUSTER_AUTH");
  const authorization =
    e.IPFS_CLUSTER_AUTH === undefined
      ? undefined
      : authorizationHeader("IPFS_CLUSTER_AUTH", e.IPFS_CLUSTER_AUTH);
  if (
    !requirePair(
      ["IPFS_CLUSTER_URL", e.IPFS_CLUSTER_URL],
      ["IPFS_CLUSTER_GATEWAY_URL", e.IPFS_CLUSTER_GATEWAY_URL],
      "the cluster's REST API cannot serve content, so uploads are read back through a gateway of one of its IPFS peers (docs/storage/ipfs-cluster.md)",
    )
  ) {
    return undefined;
  }
  return {
    url: e.IPFS_CLUSTER_URL!,
    authorization,
    replication: e.IPFS_CLUSTER_REPLICATION,
    gateway: e.IPFS_CLUSTER_GATEWAY_URL!,
    pinTimeoutMs: e.IPFS_CLUSTER_PIN_TIMEOUT_SECONDS * 1000,
  };
}

/**
 * Pinata without its dedicated gateway is refused rather than pointed at gateway.pinata.cloud: Pinata
 * publishes that gateway as for testing only, at 15 requests a minute per CID across all its users, and
 * a read-back polls a fresh upload about once a second, so a library run would end in 429s and a backup
 * that only looks configured.
 */
function pinataConfig(e: z.infer<typeof IpfsEnvSchema>, workDir: string): PinataConfig {
  if (e.PINATA_GATEWAY_URL === undefined) {
    throw new ConfigError("CONFIG", "PINATA_GATEWAY_URL is not set but PINATA_JWT is", {
      file: "environment",
      field: "PINATA_GATEWAY_URL",
      hint: "set it to your account's dedicated gateway, https://<name>.mypinata.cloud; the public gateway allows 15 requests a minute per CID, too few to read uploads back (docs/storage/pinata.md)",
    });
  }
  return {
    jwt: e.PINATA_JWT!,
    uploadUrl: e.PINATA_UPLOAD_URL ?? PINATA_DEFAULT_UPLOAD_URL,
    apiUrl: e.PINATA_API_URL ?? PINATA_DEFAULT_API_URL,
    gateway: e.PINATA_GATEWAY_URL,
    spoolDir: join(workDir, "spool", "pinata"),
  };
}
