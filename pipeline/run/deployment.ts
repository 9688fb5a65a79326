import type { Account, Chain, PublicClient, Transport, WalletClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import { ViemTracksChain } from "../chain/viem-tracks-chain.js";
import { ConfigError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";

/** What an entry point (Hardhat script, task, CLI) hands the pipeline so it can mint. */
export interface ChainSetup {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  /** The network's name for people. */
  network: string;
  /** Hardhat's in-process chain: it forgets everything when the process ends. */
  ephemeral: boolean;
  /** The JSON-RPC URL of an HTTP network, for `networkExposure`; undefined in-process. */
  rpcUrl?: string;
  /** Deploys a new collection (the Ignition module) and returns its address. */
  deploy(): Promise<Hex>;
}

/**
 * Finds the collection to mint into: `DCMX_CONTRACT` when set (it must exist), else the one this work
 * directory deployed on this chain earlier, else a new deployment, recorded so the next run reuses it.
 */
export async function resolveTracksChain(
  setup: ChainSetup,
  ledger: Ledger,
  configured: Hex | undefined,
  note: (message: string) => void,
): Promise<ViemTracksChain> {
  const chainId = await setup.publicClient.getChainId();
  const connect = (contract: Hex) => ViemTracksChain.connect({ ...setup, contract });
  const hasCode = async (address: Hex) => ((await setup.publicClient.getCode({ address })) ?? "0x") !== "0x";

  if (configured !== undefined) {
    if (!(await hasCode(configured))) {
      throw new ConfigError(
        "NO_CONTRACT",
        `there is no contract at ${configured} on chain ${chainId} (${setup.network})`,
        {
          field: "DCMX_CONTRACT",
          hint: "check the address and --network, or unset DCMX_CONTRACT to deploy a new collection",
        },
      );
    }
    if ((await ledger.deployment(chainId))?.contract.toLowerCase() !== configured.toLowerCase()) {
      await ledger.record({ type: "deployed", deployment: { chainId, contract: configured } });
    }
    return connect(configured);
  }

  const previous = await ledger.deployment(chainId);
  if (previous !== undefined && (await hasCode(previous.contract as Hex))) {
    note(`Using the collection at ${previous.contract} (deployed by an earlier run on chain ${chainId}).`);
    return connect(previous.contract as Hex);
  }
  if (previous !== undefined) {
    note(
      setup.ephemeral
        ? `The in-process chain starts empty on every run: deploying a new collection (the earlier one at ${previous.contract} is gone with its process). Use --network localhost or a real chain to keep tokens between runs.`
        : `Chain ${chainId} no longer has the collection at ${previous.contract} (was it reset?): deploying a new one.`,
    );
  }
  const contract = await setup.deploy();
  await ledger.record({ type: "deployed", deployment: { chainId, contract } });
  note(`Deployed the collection at ${contract} on chain ${chainId} (${setup.network}).`);
  return connect(contract);
}
