import { getEventListeners } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type {
  Hex,
  MintedToken,
  MintItem,
  MintOutcome,
  TracksChain,
} from "../../pipeline/chain/tracks-chain.js";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import { type MintRight, MintStage } from "../../pipeline/stages/mint.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");
const deployment = { chainId: 31337, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const recipient: Hex = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/**
 * A pure-logic model of the contract's rules (a content hash mints once; a batch with a minted hash
 * reverts), to test the stage's exactly-once bookkeeping. The real contract is exercised end to end in
 * the integration suite.
 */
class ModelChain implements TracksChain {
  readonly deployment = deployment;
  readonly network = "model";
  readonly ephemeral = false;
  readonly tokens = new Map<string, bigint>();
  readonly sent: MintItem[][] = [];
  readonly txs = new Map<Hex, MintItem[]>();
  dropNext = false;
  #next = 1n;

  async findMinted(sha256: string): Promise<MintedToken | undefined> {
    const tokenId = this.tokens.get(sha256);
    return tokenId === undefined ? undefined : { sha256, tokenId };
  }
  async sendMintBatch(_to: Hex, items: MintItem[]): Promise<Hex> {
    if (items.some((i) => this.tokens.has(i.sha256)))
      throw new Error("execution reverted: ContentHashAlreadyMinted");
    this.sent.push(items);
    const hash = `0x${this.sent.length.toString(16).padStart(64, "0")}` as Hex;
    this.txs.set(hash, items);
    return hash;
  }
  async settle(txHash: Hex): Promise<MintOutcome> {
    const items = this.txs.get(txHash);
    if (items === undefined || this.dropNext) {
      this.dropNext = false;
      return { status: "dropped" };
    }
    this.txs.delete(txHash);
    const minted = items.map((i) => {
      const tokenId = this.#next++;
      this.tokens.set(i.sha256, tokenId);
      return { sha256: i.sha256, tokenId };
    });
    return { status: "mined", minted };
  }
  async estimateMintBatchGas(): Promise<bigint> {
    return 0n;
  }
  async defaultRecipient(): Promise<Hex> {
    return recipient;
  }
}

describe("mint stage", () => {
  let dir: string;
  let ledger: Ledger;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-mint-"));
    ledger = await Ledger.open({ workDir: dir });
    for (let n = 1; n <= 7; n++) {
      await ledger.record({
        type: "track",
        sha256: sha(n),
        file: `t${n}.mp3`,
        size: 1,
        cid: `c${n}`,
        profile: "unixfs-v1-2025",
        mimeType: "audio/mpeg",
      });
      await ledger.record({ type: "verified", sha256: sha(n), metadataCid: `m${n}` });
    }
  });
  afterEach(async () => {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (chain: ModelChain, items: MintItem[], batchSize = 3) => {
    const minted: string[] = [];
    const failed: string[] = [];
    const stage = new MintStage(
      { ledger, record: (record) => ledger.record(record) },
      chain,
      { batchSize, recipient },
      {
        minted: (t) => {
          minted.push(t.sha256);
        },
        failed: (s, reason) => {
          failed.push(`${s}:${reason}`);
        },
      },
    );
    const running = stage.run();
    for (const item of items) {
      await ledger.record({ type: "mint-ready", deployment, ...item });
      stage.queued(item.sha256);
    }
    stage.close();
    await running;
    return { minted, failed, transactions: stage.transactions };
  };
  const items = (...ns: number[]) => ns.map((n) => ({ sha256: sha(n), metadataCid: `m${n}` }));

  it("mints in batches of the configured size and records every token", async () => {
    const chain = new ModelChain();
    const result = await run(chain, items(1, 2, 3, 4, 5, 6, 7));
    expect(chain.sent.map((b) => b.length)).to.deep.equal([3, 3, 1]);
    expect(result.minted).to.have.length(7);
    expect((await ledger.track(sha(5)))!.minted.size).to.equal(1);
  });

  it("skips what the chain already holds and isolates a track minted by someone else", async () => {
    const chain = new ModelChain();
    chain.tokens.set(sha(2), 99n);
    const result = await run(chain, items(1, 2, 3));
    expect(chain.sent.flat().map((i) => i.sha256)).to.deep.equal([sha(1), sha(3)]);
    expect(
      (await ledger.track(sha(2)))!.minted.get(`31337:${deployment.contract.toLowerCase()}`)?.tokenId,
    ).to.equal(99n);
    expect(result.failed).to.deep.equal([]);
  });

  it("settles a transaction a crash left pending instead of sending it again", async () => {
    const chain = new ModelChain();
    const hash = await chain.sendMintBatch(recipient, items(1, 2));
    await ledger.record({ type: "mint-sent", deployment, txHash: hash, sha256s: [sha(1), sha(2)] });

    const result = await run(chain, []);
    expect(chain.sent).to.have.length(1);
    expect(result.minted).to.deep.equal([sha(1), sha(2)]);
    expect(await ledger.pendingMints(deployment)).to.deep.equal([]);
  });

  it("sends again what a restarted node dropped", async () => {
    const chain = new ModelChain();
    chain.dropNext = true;
    const result = await run(chain, items(1, 2));
    expect(chain.sent).to.have.length(2);
    expect(result.minted).to.deep.equal([sha(1), sha(2)]);
    expect(result.transactions).to.equal(2);
  });

  it("leaves no abort listener behind however often a waiting worker polls", async () => {
    const controller = new AbortController();
    let polls = 0;
    let polled: () => void = () => {};
    const enough = new Promise<void>((resolve) => {
      polled = resolve;
    });
    // Another worker holds the signer: this one looks at the ledger every poll for the whole run.
    const elsewhere: MintRight = {
      hold: async () => {
        if (++polls === 200) polled();
        return "elsewhere";
      },
      release: async () => {},
    };
    const stage = new MintStage(
      { ledger, record: (record) => ledger.record(record) },
      new ModelChain(),
      { batchSize: 3, recipient, signal: controller.signal, pollMs: 1 },
      { minted: () => {}, failed: () => {} },
      elsewhere,
    );
    const running = stage.run();
    await enough;
    const waiting = getEventListeners(controller.signal, "abort").length;
    stage.close();
    await running;
    expect(waiting, "listeners after 200 polls").to.be.at.most(1);
    expect(getEventListeners(controller.signal, "abort")).to.have.length(0);
  });
});
