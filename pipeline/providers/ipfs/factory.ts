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

type BuildBackend = (
  config: IpfsConfig,
  node: EmbeddedIpfsNode,
  workDir: string,
) => Promise<StorageProvider | undefined>;

/**
 * Every remote backend: built when its configuration is there, its module loaded only then (together the
 * remote clients are megabytes of memory a run without them would carry for nothing). Each is given the
 * read-back window its uploads are checked within.
 */
const REMOTE_BACKENDS: BuildBackend[] = [
  async ({ kubo, readBackWindowMs }, node) =>
    kubo && new (await import("./kubo.js")).KuboProvider(node, { ...kubo, readBackWindowMs }),
  async ({ lighthouse, readBackWindowMs }, node) =>
    lighthouse &&
    new (await import("./lighthouse.js")).LighthouseProvider(node, { ...lighthouse, readBackWindowMs }),
  async ({ cluster, readBackWindowMs }, node) =>
    cluster &&
    new (await import("./ipfs-cluster.js")).IpfsClusterProvider(node, { ...cluster, readBackWindowMs }),
  async ({ pinata, readBackWindowMs }, node) =>
    pinata && new (await import("./pinata.js")).PinataProvider(node, { ...pinata, readBackWindowMs }),
  async ({ filebase, readBackWindowMs }, node, workDir) =>
    filebase &&
    new (await import("./filebase.js")).FilebaseProvider(node, {
      config: filebase,
      workDir,
      readBackWindowMs,
    }),
  async ({ nftStorage, readBackWindowMs }, node) =>
    nftStorage &&
    new (await import("./nft-storage.js")).NftStorageProvider(node, { ...nftStorage, readBackWindowMs }),
  async ({ storacha, readBackWindowMs }, node) =>
    storacha &&
    new (await import("./storacha.js")).StorachaProvider(node, { config: storacha, readBackWindowMs }),
  async ({ pinning, readBackWindowMs }, node) =>
    pinning &&
    new (await import("./pinning-service.js")).PinningServiceProvider(node, { ...pinning, readBackWindowMs }),
];

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
    for (const build of REMOTE_BACKENDS) {
      const provider = await build(config, node, options.workDir);
      if (provider !== undefined) providers.push(provider);
    }
    return { config, node, gateway, providers, close: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
