import type { NetworkConnection } from "hardhat/types/network";
import { type DCMXTracksParameters, deployTracks } from "../../ignition/modules/deploy-tracks.js";
import type { Hex } from "../chain/tracks-chain.js";
import type { ChainSetup } from "../run/deployment.js";

/**
 * The pipeline's chain access from a Hardhat network connection: viem clients from hardhat-viem and
 * deployment through the Ignition module, on whatever network `--network` chose.
 */
export async function chainSetupFrom(
  connection: NetworkConnection,
  collection: DCMXTracksParameters = {},
): Promise<ChainSetup> {
  const publicClient = await connection.viem.getPublicClient();
  const [walletClient] = await connection.viem.getWalletClients();
  if (walletClient === undefined) {
    throw new Error(
      `network "${connection.networkName}" has no account to mint with: configure its accounts (configVariable)`,
    );
  }
  const ephemeral = connection.networkConfig.type === "edr-simulated";
  return {
    publicClient: publicClient as unknown as ChainSetup["publicClient"],
    walletClient: walletClient as unknown as ChainSetup["walletClient"],
    network: connection.networkName,
    ephemeral,
    deploy: async () => {
      // Ignition's own journal makes a deployment resumable; its id names the chain by its genesis block, so
      // a local node restarted from scratch is a new deployment rather than a stale one.
      const genesis = await publicClient.getBlock({ blockNumber: 0n });
      const deploymentId = ephemeral
        ? undefined
        : `dcmx-${await publicClient.getChainId()}-${genesis.hash.slice(2, 10)}`;
      return (await deployTracks(connection, collection, { deploymentId })).address as Hex;
    },
  };
}
