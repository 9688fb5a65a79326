import { createPublicClient, formatEther, http } from "viem";
import type { Hex } from "../../chain/tracks-chain.js";
import { ViemTracksChain } from "../../chain/viem-tracks-chain.js";
import type { PipelineConfig } from "../../config/pipeline-config.js";
import { describeError } from "../../errors.js";
import { planRun } from "../../run/plan.js";
import type { Finding } from "./finding.js";

const MIN_NODE = [22, 13] as const;

export function checkNode(version = process.versions.node): Finding {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { check: "Node.js", status: "ok", message: `v${version}` }
    : {
        check: "Node.js",
        status: "fail",
        message: `v${version} is older than ${MIN_NODE.join(".")}`,
        fix: "run through npx in this folder (the project pins node@22), or install Node 22.13 or newer",
      };
}

/** The RPC answers and says which chain it is; returns the chain id for the balance check. */
export async function checkRpc(rpc: string | undefined): Promise<{ finding: Finding; chainId?: number }> {
  if (rpc === undefined) {
    return {
      finding: {
        check: "RPC",
        status: "info",
        message: "none given: the default run mints on Hardhat's in-process chain",
        fix: "pass --rpc URL (or set LOCALHOST_RPC_URL) to check the chain you will mint on",
      },
    };
  }
  const client = createPublicClient({ transport: http(rpc, { retryCount: 0, timeout: 10_000 }) });
  try {
    const [chainId, block] = await Promise.all([client.getChainId(), client.getBlockNumber()]);
    return {
      finding: { check: "RPC", status: "ok", message: `chain id ${chainId}, block ${block}` },
      chainId,
    };
  } catch (error) {
    return {
      finding: {
        check: "RPC",
        status: "fail",
        message: `${new URL(rpc).origin} does not answer: ${describeError(error)}`,
        fix: "start the node (npx hardhat node) or fix the URL",
      },
    };
  }
}

/**
 * The deployer's balance against what minting the library would cost: the gas of its real mint batches,
 * estimated on a fresh in-process Hardhat chain (as `mint-library --dry-run` does), at the RPC's gas price.
 */
export async function checkBalance(options: {
  rpc: string;
  account: Hex;
  config: PipelineConfig;
}): Promise<Finding> {
  const client = createPublicClient({ transport: http(options.rpc, { retryCount: 0 }) });
  const [balance, gasPrice] = await Promise.all([
    client.getBalance({ address: options.account }),
    client.getGasPrice(),
  ]);
  // Hardhat is loaded only here: it reads hardhat.config.ts and is slow to start.
  const { network } = await import("hardhat");
  const { deployTracks } = await import("../../../ignition/modules/deploy-tracks.js");
  const { chainSetupFrom } = await import("../../hardhat/chain-setup.js");
  const simulation = await network.create("default");
  const chain = await ViemTracksChain.connect({
    ...(await chainSetupFrom(simulation, { workDir: options.config.workDir })),
    contract: (await deployTracks(simulation)).address as Hex,
  });
  const { plan } = await planRun({ config: options.config, simulation: chain, gasPriceWei: gasPrice });
  const cost = plan.gas?.costWei ?? 0n;
  const message = `${formatEther(balance)} ETH; minting ${plan.tracks} tracks needs about ${plan.gas?.total ?? 0n} gas = ${formatEther(cost)} ETH at the current gas price`;
  return balance >= cost
    ? { check: "deployer balance", status: "ok", message }
    : {
        check: "deployer balance",
        status: "fail",
        message,
        fix: `send at least ${formatEther(cost - balance)} ETH to ${options.account}`,
      };
}
