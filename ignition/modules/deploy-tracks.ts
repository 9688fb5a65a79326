import type { ContractReturnType } from "@nomicfoundation/hardhat-viem/types";
import type { NetworkConnection } from "hardhat/types/network";
import type { Address } from "viem";
import DCMXTracksModule from "./DCMXTracks.js";

export type DCMXTracksContract = ContractReturnType<"DCMXTracks">;

/** Parameters of the `DCMXTracks` Ignition module; each one omitted takes the module's default. */
export interface DCMXTracksParameters {
  name?: string;
  symbol?: string;
  admin?: Address;
  /** Seconds before a new admin may accept a transfer. */
  adminTransferDelay?: number;
  minter?: Address;
  royaltyReceiver?: Address;
  royaltyBps?: number;
  contractURI?: string;
}

/**
 * Deploys DCMXTracks through its Ignition module on `connection`. The result is typed by contract name, so
 * callers get the same type whether or not Hardhat's generated artifact types are part of the TS program
 * (Ignition's own result type needs them).
 */
export async function deployTracks(
  connection: Pick<NetworkConnection, "ignition">,
  parameters: DCMXTracksParameters = {},
  options: { deploymentId?: string } = {},
): Promise<DCMXTracksContract> {
  const { tracks } = await connection.ignition.deploy(DCMXTracksModule, {
    displayUi: false,
    deploymentId: options.deploymentId,
    parameters: { DCMXTracks: { ...parameters } },
  });
  return tracks as unknown as DCMXTracksContract;
}
