import { hostname } from "node:os";
import type { Leases } from "../ledger/leases.js";
import type { MintRight } from "../stages/mint.js";

/**
 * One worker's claims and leases in the shared ledger, kept alive by a heartbeat while it runs. The holder
 * names the process (host, work directory, pid): a restarted worker is a new holder, so what its previous
 * life held is taken again only once that expires, by whichever worker comes first.
 */
export class WorkerLeases {
  readonly holder: string;
  readonly #leases: Leases;
  readonly #ttlMs: number;
  #heartbeat: NodeJS.Timeout | undefined;
  /** The mint lease this worker holds, renewed with its claims. */
  #held: { name: string; epoch: number } | undefined;

  constructor(leases: Leases, options: { workDir: string; ttlMs: number }) {
    this.#leases = leases;
    this.#ttlMs = options.ttlMs;
    this.holder = `${hostname()}:${options.workDir}:${process.pid}`;
  }

  /** How often a waiting worker looks again: a few times per lease, so a dead worker's work is soon taken. */
  get pollMs(): number {
    return Math.max(250, Math.floor(this.#ttlMs / 3));
  }

  /** Renews claims and the held lease every third of their time, until `stop`. */
  start(): void {
    this.#heartbeat = setInterval(() => {
      // A missed beat is not fatal: the next one renews, and a lease lost meanwhile is noticed before a send.
      this.#renew().catch(() => undefined);
    }, this.pollMs);
    this.#heartbeat.unref();
  }

  async #renew(): Promise<void> {
    await this.#leases.renewClaims(this.holder, this.#ttlMs);
    const held = this.#held;
    if (held === undefined) return;
    const epoch = await this.#leases.hold(held.name, this.holder, this.#ttlMs);
    this.#held = epoch === undefined ? undefined : { name: held.name, epoch };
  }

  /** Whether this worker may work on `item` now (no other live worker has it). */
  claim(item: string): Promise<boolean> {
    return this.#leases.claim(item, this.holder, this.#ttlMs);
  }

  release(item: string): Promise<void> {
    return this.#leases.release(item, this.holder);
  }

  /** The right to mint with one signer, shared by every worker through the lease `name`. */
  mintRight(name: string): MintRight {
    return {
      hold: async () => {
        const epoch = await this.#leases.hold(name, this.holder, this.#ttlMs);
        const before = this.#held?.epoch;
        this.#held = epoch === undefined ? undefined : { name, epoch };
        if (epoch === undefined) return "elsewhere";
        return epoch === before ? "held" : "taken";
      },
      release: async () => {
        if (this.#held?.name !== name) return;
        this.#held = undefined;
        await this.#leases.drop(name, this.holder);
      },
    };
  }

  stop(): void {
    clearInterval(this.#heartbeat);
  }
}

/** The lease that makes one worker at a time the minter for a signer on a chain. */
export function mintLeaseName(chainId: number, signer: string): string {
  return `mint:${chainId}:${signer.toLowerCase()}`;
}
