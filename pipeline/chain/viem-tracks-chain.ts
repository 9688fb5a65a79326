import {
  type Account,
  BaseError,
  type Chain,
  decodeErrorResult,
  type PublicClient,
  parseEventLogs,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Transport,
  WaitForTransactionReceiptTimeoutError,
  type WalletClient,
} from "viem";
import { metadataDigest } from "../content/index.js";
import type { Deployment } from "../ledger/records.js";
import { tracksAbi } from "./tracks-abi.js";
import type { Hex, MintedToken, MintItem, MintOutcome, TracksChain } from "./tracks-chain.js";

export interface ViemTracksChainOptions {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  contract: Hex;
  network: string;
  ephemeral: boolean;
  /** How long to wait for a receipt before deciding the node lost the transaction. */
  receiptTimeoutMs?: number;
}

const toBytes32 = (sha256: string): Hex => `0x${sha256}`;

/** `TracksChain` over viem: every chain interaction of the pipeline goes through here. */
export class ViemTracksChain implements TracksChain {
  readonly deployment: Deployment;
  readonly network: string;
  readonly ephemeral: boolean;
  readonly #public: PublicClient;
  readonly #wallet: ViemTracksChainOptions["walletClient"];
  readonly #address: Hex;
  readonly #receiptTimeoutMs: number;

  constructor(options: ViemTracksChainOptions, chainId: number) {
    this.#public = options.publicClient;
    this.#wallet = options.walletClient;
    this.#address = options.contract;
    this.network = options.network;
    this.ephemeral = options.ephemeral;
    this.#receiptTimeoutMs = options.receiptTimeoutMs ?? 120_000;
    this.deployment = { chainId, contract: options.contract };
  }

  static async connect(options: ViemTracksChainOptions): Promise<ViemTracksChain> {
    return new ViemTracksChain(options, await options.publicClient.getChainId());
  }

  async findMinted(sha256: string): Promise<MintedToken | undefined> {
    const tokenId = await this.#public.readContract({
      address: this.#address,
      abi: tracksAbi,
      functionName: "tokenOfContentHash",
      args: [toBytes32(sha256)],
    });
    if (tokenId === 0n) return undefined;
    // The minting transaction is found from the indexed event, so a track minted by a run that crashed
    // before journaling still gets its transaction hash in the report.
    const logs = await this.#public.getContractEvents({
      address: this.#address,
      abi: tracksAbi,
      eventName: "TrackMinted",
      args: { tokenId },
      fromBlock: "earliest",
    });
    return { sha256, tokenId, txHash: logs[0]?.transactionHash ?? undefined };
  }

  async sendMintBatch(to: Hex, items: MintItem[]): Promise<Hex> {
    // Simulating first turns a revert (duplicate, role, batch size) into a decoded error before any gas is spent.
    const { request } = await this.#public.simulateContract({
      account: this.#wallet.account,
      address: this.#address,
      abi: tracksAbi,
      functionName: "mintBatch",
      args: [to, this.#tracks(items)],
    });
    return this.#wallet.writeContract(request);
  }

  async settle(txHash: Hex): Promise<MintOutcome> {
    let receipt: Awaited<ReturnType<PublicClient["getTransactionReceipt"]>>;
    try {
      receipt = await this.#public.waitForTransactionReceipt({
        hash: txHash,
        timeout: this.#receiptTimeoutMs,
      });
    } catch (error) {
      if (await this.#isUnknown(txHash, error)) return { status: "dropped" };
      throw error;
    }
    if (receipt.status === "reverted")
      return { status: "reverted", reason: await this.#revertReason(txHash) };
    const minted = parseEventLogs({ abi: tracksAbi, eventName: "TrackMinted", logs: receipt.logs })
      .filter((log) => log.address.toLowerCase() === this.#address.toLowerCase())
      .map((log) => ({ sha256: log.args.contentHash.slice(2), tokenId: log.args.tokenId, txHash }));
    return { status: "mined", minted };
  }

  async estimateMintBatchGas(to: Hex, items: MintItem[]): Promise<bigint> {
    return this.#public.estimateContractGas({
      account: this.#wallet.account,
      address: this.#address,
      abi: tracksAbi,
      functionName: "mintBatch",
      args: [to, this.#tracks(items)],
    });
  }

  async defaultRecipient(): Promise<Hex> {
    return this.#wallet.account.address;
  }

  #tracks(items: MintItem[]) {
    return items.map((item) => ({
      contentHash: toBytes32(item.sha256),
      metadataDigest: metadataDigest(item.metadataCid),
    }));
  }

  async #isUnknown(txHash: Hex, error: unknown): Promise<boolean> {
    const timedOut =
      error instanceof WaitForTransactionReceiptTimeoutError ||
      error instanceof TransactionReceiptNotFoundError;
    if (!timedOut) return false;
    try {
      await this.#public.getTransaction({ hash: txHash });
      return false;
    } catch (lookup) {
      return lookup instanceof TransactionNotFoundError;
    }
  }

  async #revertReason(txHash: Hex): Promise<string> {
    try {
      const tx = await this.#public.getTransaction({ hash: txHash });
      await this.#public.call({
        to: tx.to,
        data: tx.input,
        account: tx.from,
        blockNumber: tx.blockNumber ?? undefined,
      });
      return "reverted (no reason when replayed)";
    } catch (error) {
      const raw =
        error instanceof BaseError
          ? error.walk((e) => typeof (e as { data?: unknown }).data === "string")
          : null;
      const data = (raw as { data?: Hex } | null)?.data;
      if (data !== undefined) {
        try {
          return decodeErrorResult({ abi: tracksAbi, data }).errorName;
        } catch {
          // Not one of our errors: fall through to the node's own words.
        }
      }
      return error instanceof BaseError ? error.shortMessage : String(error);
    }
  }
}
