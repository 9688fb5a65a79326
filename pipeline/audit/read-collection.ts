import type { PublicClient } from "viem";
import { tracksAbi } from "../chain/tracks-abi.js";
import type { Hex } from "../chain/tracks-chain.js";
import { InputError } from "../errors.js";

/** What the chain says about one token: the only facts the audit trusts. */
export interface OnChainToken {
  tokenId: bigint;
  /** Lower-case hex SHA-256, no 0x. */
  contentHash: string;
  tokenURI: string;
}

/** The collection's token count; a contract without our ABI is a clear error rather than a revert dump. */
export async function collectionSize(client: PublicClient, contract: Hex): Promise<bigint> {
  const code = await client.getCode({ address: contract });
  if (code === undefined || code === "0x") {
    throw new InputError("NO_CONTRACT", `no contract is deployed at ${contract} on this chain`, {
      field: "--contract",
      hint: "pass the collection address printed by mint-library (report.json, chain.contract) and the RPC of its chain",
    });
  }
  return client.readContract({ address: contract, abi: tracksAbi, functionName: "totalSupply" });
}

export async function readToken(client: PublicClient, contract: Hex, tokenId: bigint): Promise<OnChainToken> {
  const [contentHash, tokenURI] = await Promise.all([
    client.readContract({
      address: contract,
      abi: tracksAbi,
      functionName: "contentHashOf",
      args: [tokenId],
    }),
    client.readContract({ address: contract, abi: tracksAbi, functionName: "tokenURI", args: [tokenId] }),
  ]);
  return { tokenId, contentHash: contentHash.slice(2).toLowerCase(), tokenURI };
}
