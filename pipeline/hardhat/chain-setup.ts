import { createHash } from "node:crypto";
import type { NetworkConnection } from "hardhat/types/network";
import { type DCMXTracksParameters, deployTracks } from "../../ignition/modules/deploy-tracks.js";
import { collectionAdmin } from "../chain/admin-guard.js";
import type { Hex } from "../chain/tracks-chain.js";
import { ConfigError } from "../errors.js";
import type { ChainSetup } from "../run/deployment.js";

/**
 * The pipeline's chain access from a Hardhat network connection: viem clients from hardhat-viem and
 * deployment through the Ignition module, on whatever network `--network` chose.
 */
export async function chainSetupFrom(
  connection: NetworkConnection,
  options: {
    workDir: string;
    collection?: DCMXTracksParameters;
    /** Accept the minting key as the collection's admin on a public chain. */
    allowHotAdmin?: boolean;
  },
): Promise<ChainSetup> {
  const publicClient = await connection.viem.getPublicClient();
  const [walletClient] = await connection.viem.getWalletClients();
  if (walletClient === undefined) {
    throw new ConfigError("NO_ACCOUNT", `network "${connection.networkName}" has no account to mint with`, {
      file: "hardhat.config.ts",
      field: `networks.${connection.networkName}.accounts`,
      hint: "set the deployer key with `npx hardhat keystore set` or the environment variable its configVariable names",
    });
  }
  const ephemeral = connection.networkConfig.type === "edr-simulated";
  const rpcUrl = await rpcUrlOf(connection);
  return {
    publicClient: publicClient as unknown as ChainSetup["publicClient"],
    walletClient: walletClient as unknown as ChainSetup["walletClient"],
    network: connection.networkName,
    ephemeral,
    rpcUrl,
    deploy: async () => {
      // Ignition's own journal makes a deployment resumable. Its id names the chain by its genesis block (a
      // local node restarted from scratch is a new deployment, not a stale one) and the work directory (one
      // work directory, one collection: two libraries never share a contract by accident).
      const genesis = await publicClient.getBlock({ blockNumber: 0n });
      const scope = createHash("sha256").update(options.workDir).digest("hex").slice(0, 8);
      const chainId = await publicClient.getChainId();
      const minter = walletClient.account.address;
      const admin = collectionAdmin({
        admin: options.collection?.admin,
        minter,
        chainId,
        inProcess: ephemeral,
        rpcUrl,
        network: connection.networkName,
        allowHotAdmin: options.allowHotAdmin ?? false,
      });
      const deploymentId = ephemeral ? undefined : `dcmx-${chainId}-${genesis.hash.slice(2, 10)}-${scope}`;
      const parameters = { ...options.collection, admin, minter };
      return (await deployTracks(connection, parameters, { deploymentId })).address as Hex;
    },
  };
}

/** The JSON-RPC URL of an HTTP network; the in-process chain has none. */
export async function rpcUrlOf(connection: NetworkConnection): Promise<string | undefined> {
  return connection.networkConfig.type === "http" ? connection.networkConfig.url.getUrl() : undefined;
}
