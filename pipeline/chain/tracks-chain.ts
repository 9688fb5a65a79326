import type { Deployment } from "../ledger/records.js";

export type Hex = `0x${string}`;

export interface MintItem {
  sha256: string;
  metadataCid: string;
}

export interface MintedToken {
  sha256: string;
  tokenId: bigint;
  txHash?: Hex;
}

export type MintOutcome =
  | { status: "mined"; minted: MintedToken[] }
  | { status: "reverted"; reason: string }
  /** The node no longer knows the transaction (restarted, evicted): it can be sent again. */
  | { status: "dropped" };

/**
 * What the pipeline needs from the chain, and nothing more; `ViemTracksChain` implements it over viem.
 * Keeping it this narrow lets the mint stage's exactly-once logic be read (and tested) on its own.
 */
export interface TracksChain {
  readonly deployment: Deployment;
  /** The network's name for people ("hardhat", "localhost", "sepolia"). */
  readonly network: string;
  /** Whether the chain forgets everything when the process ends (Hardhat's in-process network). */
  readonly ephemeral: boolean;
  /** The token that records this content hash, found from the chain itself (0 → none). */
  findMinted(sha256: string): Promise<MintedToken | undefined>;
  /** Sends one mintBatch transaction and returns its hash as soon as the node accepted it. */
  sendMintBatch(to: Hex, items: MintItem[]): Promise<Hex>;
  /** Waits for a sent transaction and reads the tokens it minted from its events. */
  settle(txHash: Hex): Promise<MintOutcome>;
  estimateMintBatchGas(to: Hex, items: MintItem[]): Promise<bigint>;
  defaultRecipient(): Promise<Hex>;
}
