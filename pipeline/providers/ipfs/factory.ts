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
    const { readBackWindowMs } = config;
    if (config.kubo) {
      const { KuboProvider } = await import("./kubo.js");
      providers.push(new KuboProvider(node, { ...config.kubo, readBackWindowMs }));
    }
    if (config.lighthouse) {
      const { LighthouseProvider } = await import("./lighthouse.js");
      providers.push(new LighthouseProvider(node, { ...config.lighthouse, readBackWindowMs }));
    }
    if (config.nftStorage) {
      const { NftStorageProvider } = await import("./nft-storage.js");
      providers.push(new NftStorageProvider(node, { ...config.nftStorage, readBackWindowMs }));
    }
    if (config.pinning) {
      const { PinningServiceProvider } = await import("./pinning-service.js");
      providers.push(new PinningServiceProvider(node, { ...config.pinning, readBackWindowMs }));
    }
    if (config.pinata) {
      const { PinataProvider } = await import("./pinata.js");
      providers.push(new PinataProvider(node, { ...config.pinata, readBackWindowMs }));
    }
    if (config.cluster) {
      const { IpfsClusterProvider } = await import("./ipfs-cluster.js");
      providers.push(new IpfsClusterProvider(node, { ...config.cluster, readBackWindowMs }));
    }
    if (config.filebase) {
      const { FilebaseProvider } = await import("./filebase.js");
      providers.push(
        new FilebaseProvider(node, { config: config.filebase, workDir: options.workDir, readBackWindowMs }),
      );
    }
    if (config.storacha) {
      const { StorachaProvider } = await import("./storacha.js");
      providers.push(new StorachaProvider(node, { config: config.storacha, readBackWindowMs }));
    }
    return { config, node, gateway, providers, close: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
