import { type Address, getAddress, type Hex, type PublicClient, zeroHash } from "viem";
import { ConfigError } from "../../errors.js";
import { conduitControllerAbi, seaportAbi } from "./seaport-abi.js";

/** Seaport 1.6 has this address on every chain it is deployed to (the same CREATE2 deployment everywhere). */
export const SEAPORT_1_6_ADDRESS: Address = "0x0000000000000068F116a894984e2DB1123eB395";
/** OpenSea's conduit: the operator OpenSea's own listings approve, so one approval serves both. */
export const OPENSEA_CONDUIT_KEY: Hex = "0x0000007b02230091a7ed01230072f7006a004d60a8d4e71d599b8104250f0000";

/** A Seaport 1.6 exchange on one chain, and the operator a seller approves for it. */
export interface SeaportDeployment {
  chainId: number;
  address: Address;
  conduitKey: Hex;
  /** The conduit of `conduitKey`, or Seaport itself when the key is zero: the collection's approved operator. */
  operator: Address;
}

/**
 * Checks that `address` on the client's chain is Seaport 1.6 (asks the contract its version) and finds the
 * operator to approve through the ConduitController that Seaport names.
 */
export async function connectSeaport(
  client: PublicClient,
  address: Address,
  conduitKey: Hex,
  setting: string,
): Promise<SeaportDeployment> {
  const chainId = await client.getChainId();
  const hint = `check ${setting} (Seaport 1.6 is ${SEAPORT_1_6_ADDRESS} on the chains where it is deployed)`;
  let version: string;
  let controller: Address;
  try {
    [version, , controller] = await client.readContract({
      address,
      abi: seaportAbi,
      functionName: "information",
    });
  } catch (cause) {
    throw new ConfigError("SEAPORT", `no Seaport answers at ${address} on chain ${chainId}`, {
      field: setting,
      hint,
      cause,
    });
  }
  if (version !== "1.6") {
    throw new ConfigError("SEAPORT", `${address} is Seaport ${version}; listings are signed for 1.6`, {
      field: setting,
      hint,
    });
  }
  if (conduitKey === zeroHash)
    return { chainId, address: getAddress(address), conduitKey, operator: getAddress(address) };
  const [conduit, exists] = await client.readContract({
    address: controller,
    abi: conduitControllerAbi,
    functionName: "getConduit",
    args: [conduitKey],
  });
  if (!exists) {
    throw new ConfigError("SEAPORT_CONDUIT", `conduit ${conduitKey} does not exist on chain ${chainId}`, {
      field: "DCMX_SEAPORT_CONDUIT_KEY",
      hint: `use OpenSea's (${OPENSEA_CONDUIT_KEY}), or 0x${"0".repeat(64)} to approve Seaport itself`,
    });
  }
  return { chainId, address: getAddress(address), conduitKey, operator: conduit };
}
