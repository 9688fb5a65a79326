import type { StorageProvider } from "../types.js";
import { type IpfsConfig, loadIpfsConfig } from "./config.js";
import { EmbeddedIpfsProvider } from "./embedded-provider.js";
import { EmbeddedIpfsNode } from "./helia-node.js";

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
  const node = await new EmbeddedIpfsNode().start({ directory: config.repo });
  try {
    const gateway = await node.serve({ port: config.gatewayPort });
    const providers: StorageProvider[] = [new EmbeddedIpfsProvider(node, { gateway: config.gatewayUrl })];
    // Remote clients load only when configured: together they are ~12 MB of memory a run without them
    // would carry for nothing.
    if (config.kubo) {
      const { KuboProvider } = await import("./kubo.js");
      providers.push(new KuboProvider(node, config.kubo));
    }
    if (config.lighthouse) {
      const { LighthouseProvider } = await import("./lighthouse.js");
      providers.push(new LighthouseProvider(node, config.lighthouse));
    }
    if (config.nftStorage) {
      const { NftStorageProvider } = await import("./nft-storage.js");
      providers.push(new NftStorageProvider(node, config.nftStorage));
    }
    if (config.pinning) {
      const { PinningServiceProvider } = await import("./pinning-service.js");
      providers.push(new PinningServiceProvider(node, config.pinning));
    }
    if (config.storacha) {
      const { StorachaProvider } = await import("./storacha.js");
      providers.push(new StorachaProvider(node, { config: config.storacha }));
    }
    return { config, node, gateway, providers, close: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
