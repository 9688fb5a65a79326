import pLimit from "p-limit";
import type { Hex, MintedToken, MintItem, TracksChain } from "../chain/tracks-chain.js";
import { AbortedError, describeError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import { deploymentKey, type JournalRecord } from "../ledger/records.js";
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
  /** How often to look at the ledger for work other processes queued (workers); a run alone is woken instead. */
  pollMs?: number;
}

/**
 * What the minter reads from the ledger, and where it hands the facts it learns: the runner's recorder,
 * which makes each durable before the minter goes on (the transaction hash before its receipt is awaited).
 */
export interface MintRecords {
  ledger: Pick<Ledger, "pendingMints" | "track" | "tracksOf" | "mintQueue">;
  record: (record: JournalRecord) => Promise<void>;
}

/**
 * The right to send mint transactions with the signer: a run alone always has it; workers sharing a
 * ledger take turns through a lease. `taken` means newly had: what an earlier holder left pending is
 * settled before anything new is sent.
 */
export interface MintRight {
  hold(): Promise<"taken" | "held" | "elsewhere">;
  release(): Promise<void>;
}

/** The right of a process that is the only minter of its ledger. */
export function soleMinter(): MintRight {
  let taken = false;
  return {
    hold: async () => {
      if (taken) return "held";
      taken = true;
      return "taken";
    },
    release: async () => {},
  };
}

/** Tracks read from the ledger at once when looking for tokens minted by another worker. */
const OBSERVE_PAGE = 500;

/**
 * Mints verified tracks in batches, exactly once. Tracks wait in the ledger's mint queue, so whoever holds
 * the right to mint takes them, a run's own or those another worker left. The contract refuses a content
 * hash twice, and on top of that: the chain is asked before every send, the transaction hash is recorded
 * before its receipt is awaited, and transactions a crash left pending are settled before anything new is sent.
 */
export class MintStage {
  /** This run's tracks in the queue, until minted or failed, whoever mints them. */
  readonly #mine = new Set<string>();
  #closed = false;
  /** Whether this minter has settled what earlier holders left pending since it last took the right. */
  #settled = false;
  #wake: (() => void) | undefined;
  transactions = 0;

  constructor(
    private readonly records: MintRecords,
    private readonly chain: TracksChain,
    private readonly options: MintStageOptions,
    private readonly callbacks: MintCallbacks,
    private readonly right: MintRight = soleMinter(),
  ) {}

  /** Settles what an earlier run sent but never saw mined. */
  async settlePending(): Promise<void> {
    for (const pending of await this.records.ledger.pendingMints(this.chain.deployment)) {
      await this.#settle(pending.txHash, pending.sha256s);
    }
  }

  /** A track of this run is in the mint queue (recorded as `mint-ready`). */
  queued(sha256: string): void {
    this.#mine.add(sha256);
    this.#wake?.();
  }

  /** No more tracks of this run will come: mint what is queued (or see it minted), then stop. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Runs until closed and drained; batches fill while uploads of other tracks go on. */
  async run(): Promise<void> {
    try {
      for (;;) {
        if (this.options.signal?.aborted) throw new AbortedError();
        const right = await this.right.hold();
        if (right === "taken" || (right === "held" && !this.#settled)) {
          await this.settlePending();
          this.#settled = true;
        }
        if (right !== "elsewhere") {
          const items = await this.records.ledger.mintQueue(this.chain.deployment, this.options.batchSize);
          if (items.length >= this.options.batchSize || (this.#closed && items.length > 0)) {
            await this.#mint(items);
            continue;
          }
          if (this.#closed) return;
        } else {
          await this.#observeMine();
          if (this.#closed && this.#mine.size === 0) return;
        }
        await this.#sleep();
      }
    } finally {
      await this.right.release();
    }
  }

  /** Waits for the next poll, new work, `close` or an abort; a worker polls all run long, so nothing stays behind. */
  async #sleep(): Promise<void> {
    const signal = this.options.signal;
    let wake = () => {};
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      wake = () => resolve();
      this.#wake = wake;
      if (this.options.pollMs !== undefined) timer = setTimeout(wake, this.options.pollMs);
      signal?.addEventListener("abort", wake, { once: true });
      if (signal?.aborted) wake();
    });
    clearTimeout(timer);
    signal?.removeEventListener("abort", wake);
    this.#wake = undefined;
  }

  /** This run's tracks that another worker minted (or failed to) since the last look. */
  async #observeMine(): Promise<void> {
    const key = deploymentKey(this.chain.deployment);
    const hashes = [...this.#mine];
    for (let i = 0; i < hashes.length; i += OBSERVE_PAGE) {
      const states = await this.records.ledger.tracksOf(hashes.slice(i, i + OBSERVE_PAGE));
      for (const state of states.values()) {
        const token = state.minted.get(key);
        if (token !== undefined) {
          this.#mine.delete(state.sha256);
          await this.callbacks.minted({ sha256: state.sha256, tokenId: token.tokenId }, false);
        } else if (state.failure?.stage === "mint") {
          this.#mine.delete(state.sha256);
          await this.callbacks.failed(state.sha256, state.failure.error);
        }
      }
    }
  }

  async #mint(items: MintItem[]): Promise<void> {
    const fresh = await this.#notYetMinted(items);
    if (fresh.length === 0) return;
    // A worker that lost its lease (paused past its expiry) sends nothing: the tracks stay queued for the holder.
    if ((await this.right.hold()) === "elsewhere") return;
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
        await this.#failed(fresh[0]!.sha256, describeError(error));
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
      await this.#failed(fresh[0]!.sha256, `transaction ${txHash} reverted: ${outcome.reason}`);
    }
    // The rest stays in the mint queue and goes around again.
  }

  /** A track the chain refused: out of the queue (the record says so), with why, for whichever run made it. */
  async #failed(sha256: string, reason: string): Promise<void> {
    await this.records.record({ type: "failed", sha256, stage: "mint", error: reason });
    this.#mine.delete(sha256);
    await this.callbacks.failed(sha256, reason);
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
    this.#mine.delete(token.sha256);
    await this.callbacks.minted(token, alreadyOnChain);
  }
}
