import type { PublicClient } from "viem";
import { tracksAbi } from "../chain/tracks-abi.js";
import type { Hex } from "../chain/tracks-chain.js";
import { describeError, InputError, ProviderError } from "../errors.js";

/** What the chain says about one token: the only facts the audit trusts. */
export interface OnChainToken {
  tokenId: bigint;
  /** Lower-case hex SHA-256, no 0x. */
  contentHash: string;
  tokenURI: string;
}

/** The collection's token count; a contract without our ABI is a clear error rather than a revert dump. */
export async function collectionSize(client: PublicClient, contract: Hex): Promise<bigint> {
  const code = await client.getCode({ address: contract }).catch((error: unknown) => {
    throw new ProviderError(
      "RPC",
      `the RPC endpoint does not answer (${describeError(error).split("\n")[0]})`,
      {
        provider: "rpc",
        field: "--rpc",
        hint: "start the node (npx hardhat node) or pass the RPC URL of the collection's chain",
        cause: error,
      },
    );
  });
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

/** A token id (`7`) or an audio SHA-256 (`0x…` or bare hex) to the token id, from the chain. */
export async function resolveTokenRef(client: PublicClient, contract: Hex, ref: string): Promise<bigint> {
  if (/^\d+$/.test(ref)) return BigInt(ref);
  const hex = ref.toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new InputError("USAGE", `"${ref}" is neither a token id nor a SHA-256`, {
      field: "<token-id|sha256>",
      hint: "pass a token id (e.g. 1) or the audio file's SHA-256 (dcmx cid <file> prints it)",
    });
  }
  const tokenId = await client.readContract({
    address: contract,
    abi: tracksAbi,
    functionName: "tokenOfContentHash",
    args: [`0x${hex}`],
  });
  if (tokenId === 0n) {
    throw new InputError("NOT_MINTED", `no token of ${contract} records the audio ${hex}`, {
      field: "<token-id|sha256>",
    });
  }
  return tokenId;
}
