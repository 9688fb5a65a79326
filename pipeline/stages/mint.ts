import pLimit from "p-limit";
import type { Hex, MintedToken, MintItem, TracksChain } from "../chain/tracks-chain.js";
import { AbortedError, describeError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { JournalRecord } from "../ledger/records.js";
import { withRetry } from "../util/retry.js";

export interface MintCallbacks {
  minted(token: MintedToken, alreadyOnChain: boolean): void | Promise<void>;
  /** `error` says why the mint failed; the caller names the stage. */
  failed(sha256: string, error: string): void | Promise<void>;
}

export interface MintStageOptions {
  batchSize: number;
  recipient: Hex;
  signal?: AbortSignal;
}

/**
 * What the minter reads from the ledger, and where it hands the facts it learns: the runner's recorder,
 * which makes each durable before the minter goes on (the transaction hash before its receipt is awaited).
 */
export interface MintRecords {
  ledger: Pick<Ledger, "pendingMints" | "track">;
  record: (record: JournalRecord) => Promise<void>;
}

/**
 * Mints verified tracks in batches, exactly once. The contract refuses a content hash twice, and on top
 * of that: the chain is asked before every send, the transaction hash is recorded before its receipt is
 * awaited, and transactions a crash left pending are settled before anything new is sent.
 */
export class MintStage {
  readonly #queue: MintItem[] = [];
  #closed = false;
  #wake: (() => void) | undefined;
  transactions = 0;

  constructor(
    private readonly records: MintRecords,
    private readonly chain: TracksChain,
    private readonly options: MintStageOptions,
    private readonly callbacks: MintCallbacks,
  ) {}

  /** Settles what an earlier run sent but never saw mined. */
  async settlePending(): Promise<void> {
    for (const pending of await this.records.ledger.pendingMints(this.chain.deployment)) {
      await this.#settle(pending.txHash, pending.sha256s);
    }
  }

  add(item: MintItem): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  /** No more tracks will come: mint what is queued, then stop. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Runs until closed and drained; batches fill while uploads of other tracks go on. */
  async run(): Promise<void> {
    for (;;) {
      if (this.options.signal?.aborted) throw new AbortedError();
      if (this.#queue.length >= this.options.batchSize || (this.#closed && this.#queue.length > 0)) {
        await this.#mint(this.#queue.splice(0, this.options.batchSize));
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.options.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      this.#wake = undefined;
    }
  }

  async #mint(items: MintItem[]): Promise<void> {
    const fresh = await this.#notYetMinted(items);
    if (fresh.length === 0) return;
    let txHash: Hex;
    try {
      txHash = await withRetry(() => this.chain.sendMintBatch(this.options.recipient, fresh), {
        signal: this.options.signal,
      });
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      // A batch that would revert is split until the track at fault is alone, so one bad track
      // (e.g. minted by someone else meanwhile) never holds back the others.
      if (fresh.length > 1) {
        const half = Math.ceil(fresh.length / 2);
        await this.#mint(fresh.slice(0, half));
        await this.#mint(fresh.slice(half));
      } else {
        await this.callbacks.failed(fresh[0]!.sha256, describeError(error));
      }
      return;
    }
    this.transactions++;
    await this.records.record({
      type: "mint-sent",
      deployment: this.chain.deployment,
      txHash,
      sha256s: fresh.map((i) => i.sha256),
    });
    await this.#settle(
      txHash,
      fresh.map((i) => i.sha256),
      fresh,
    );
  }

  /** Records tokens the chain already has for these tracks and returns the rest. */
  async #notYetMinted(items: MintItem[]): Promise<MintItem[]> {
    const limit = pLimit(8);
    const found = await Promise.all(
      items.map((item) =>
        limit(() => withRetry(() => this.chain.findMinted(item.sha256), { signal: this.options.signal })),
      ),
    );
    const fresh: MintItem[] = [];
    for (const [index, item] of items.entries()) {
      const token = found[index];
      if (token === undefined) fresh.push(item);
      else await this.#record(token, true);
    }
    return fresh;
  }

  async #settle(txHash: Hex, sha256s: string[], resend?: MintItem[]): Promise<void> {
    const outcome = await withRetry(() => this.chain.settle(txHash), { signal: this.options.signal });
    await this.records.record({
      type: "mint-settled",
      deployment: this.chain.deployment,
      txHash,
      outcome: outcome.status,
    });
    if (outcome.status === "mined") {
      for (const token of outcome.minted) await this.#record({ ...token, txHash }, false);
      return;
    }
    // Reverted or dropped: whatever the chain holds now is the truth; the rest goes around again.
    const items = resend ?? (await this.#itemsFromLedger(sha256s));
    const fresh = await this.#notYetMinted(items);
    if (outcome.status === "reverted" && fresh.length === 1) {
      await this.callbacks.failed(fresh[0]!.sha256, `transaction ${txHash} reverted: ${outcome.reason}`);
      return;
    }
    for (const item of fresh) this.add(item);
  }

  async #itemsFromLedger(sha256s: string[]): Promise<MintItem[]> {
    const items: MintItem[] = [];
    for (const sha256 of sha256s) {
      const cid = (await this.records.ledger.track(sha256))?.verifiedMetadataCid;
      if (cid !== undefined) items.push({ sha256, metadataCid: cid });
    }
    return items;
  }

  async #record(token: MintedToken, alreadyOnChain: boolean): Promise<void> {
    await this.records.record({
      type: "minted",
      deployment: this.chain.deployment,
      sha256: token.sha256,
      tokenId: token.tokenId.toString(),
      txHash: token.txHash,
    });
    await this.callbacks.minted(token, alreadyOnChain);
  }
}
