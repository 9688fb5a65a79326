import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import type { PublicClient } from "viem";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { assertChainMatches, assertLedgerConsistent, runInProcess } from "../support/fault-run.js";
import { generateLibrary } from "../support/library-generator.js";

const TRACKS = 3;

/**
 * The ledger records a copy on the embedded node under the node's name, but the node is one machine's (one
 * repo's): a worker sharing a PostgreSQL ledger, or a run after IPFS_REPO moved or was deleted, holds none
 * of what the ledger says "ipfs" holds. Such a run must put those copies on its own node before the mint,
 * or tokens point at metadata nobody serves (and the verify step, which reads the metadata back from this
 * node, fails).
 */
describe("copies on this machine are asked for, not taken from the ledger", function () {
  this.timeout(240_000);
  let dir: string;
  let connection: NetworkConnection;
  let client: PublicClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-local-copies-"));
    await generateLibrary(dir, TRACKS);
    connection = await network.create();
    client = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("puts a track's copies on this node again when the node the ledger recorded them on is not this one", async () => {
    const env = { DCMX_LIBRARY: join(dir, "library"), DCMX_WORKDIR: join(dir, "work") };
    // First run: stored, pinned and verified on repo A, but the chain refuses the mint.
    const refused = await runInProcess(
      connection,
      { ...env, IPFS_REPO: join(dir, "repo-a") },
      {
        chain: (setup) => ({
          ...setup,
          walletClient: {
            ...setup.walletClient,
            writeContract: () => Promise.reject(new Error("the RPC refuses transactions")),
          },
        }),
      },
    );
    expect(refused.report.tracks.filter((t) => t.status === "minted")).to.have.length(0);

    // Second run on repo B: what repo A held is nowhere on this node.
    const run = await runInProcess(connection, { ...env, IPFS_REPO: join(dir, "repo-b") });
    const minted = run.report.tracks.filter((t) => t.status === "minted");
    expect(minted, run.lines.join("\n")).to.have.length(TRACKS);
    await assertChainMatches(client, run.report);
    await assertLedgerConsistent(env.DCMX_WORKDIR, run.report);

    const node = await new EmbeddedIpfsNode().start({ directory: join(dir, "repo-b") });
    try {
      for (const track of minted) {
        expect(await node.isPinned(track.cid), `${track.file} audio`).to.equal(true);
        expect(await node.isPinned(track.metadataCid!), `${track.file} metadata`).to.equal(true);
      }
    } finally {
      await node.stop();
    }
  });
});
