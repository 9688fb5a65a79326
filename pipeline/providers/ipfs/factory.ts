import { ConfigError } from "../../errors.js";
import type { StorageProvider } from "../types.js";
import { type IpfsConfig, loadIpfsConfig } from "./config.js";
import { EmbeddedIpfsProvider } from "./embedded-provider.js";
import { EmbeddedIpfsNode } from "./helia-node.js";
import { KuboProvider } from "./kubo.js";
import { NftStorageProvider } from "./nft-storage.js";
import { PinningServiceProvider } from "./pinning-service.js";

export interface IpfsBackends {
  config: IpfsConfig;
  /** The embedded node, started, with its gateway served. */
  node: EmbeddedIpfsNode;
  /** Base URL of the embedded node's local gateway. */
  gateway: string;
  /** The embedded provider first, then every remote backend whose credentials are set. */
  providers: StorageProvider[];
  /** Stops the gateway and the node. */
  close(): Promise<void>;
}

/**
 * Builds the configured IPFS backends from the environment (validated; secrets registered). The embedded
 * node always runs: it is the default backend and the origin remote pinning services fetch from.
 */
export async function createIpfsBackends(
  env: Record<string, string | undefined>,
  options: { workDir: string },
): Promise<IpfsBackends> {
  const config = loadIpfsConfig(env, options.workDir);
  if (config.storacha) {
    // Refuse rather than silently upload nowhere: the user asked for a backend this build lacks.
    throw new ConfigError("CONFIG", "the Storacha backend is not available in this version", {
      file: "environment",
      field: "W3UP_KEY",
      hint: "unset W3UP_KEY/W3UP_PROOF, or pin through a Pinning Service API (docs/STORAGE_SETUP.md)",
    });
  }
  const node = await new EmbeddedIpfsNode().start({ directory: config.repo });
  try {
    const gateway = await node.serve({ port: config.gatewayPort });
    const providers: StorageProvider[] = [new EmbeddedIpfsProvider(node, { gateway: config.gatewayUrl })];
    if (config.kubo) providers.push(new KuboProvider(node, config.kubo));
    if (config.nftStorage) providers.push(new NftStorageProvider(node, config.nftStorage));
    if (config.pinning) providers.push(new PinningServiceProvider(node, config.pinning));
    return { config, node, gateway, providers, close: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
