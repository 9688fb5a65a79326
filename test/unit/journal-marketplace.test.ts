import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Journal } from "../../pipeline/journal/journal.js";

const deployment = { chainId: 11155111, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const synced = (tokenId: string, tokenURI: string) =>
  ({ type: "marketplace-synced", deployment, marketplace: "opensea", tokenId, tokenURI }) as const;

describe("journal: what a marketplace was seen showing", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-journal-market-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the last tokenURI per token across a reopen, and forgets them when the contract is deployed anew", async () => {
    let journal = await Journal.open(dir);
    await journal.append({ type: "deployed", deployment });
    await journal.append(synced("1", "ipfs://a"));
    await journal.append(synced("2", "ipfs://b"));
    await journal.append(synced("1", "ipfs://c"));
    await journal.close();
    journal = await Journal.open(dir);
    try {
      expect([...journal.marketplaceSynced(deployment, "opensea")]).to.deep.equal([
        ["1", "ipfs://c"],
        ["2", "ipfs://b"],
      ]);
      const other = { ...deployment, chainId: 1 };
      expect(journal.marketplaceSynced(other, "opensea").size).to.equal(0);
      // A reset chain deploys to the same address again: nothing of the old contract is on the marketplace.
      await journal.append({ type: "deployed", deployment });
      expect(journal.marketplaceSynced(deployment, "opensea").size).to.equal(0);
    } finally {
      await journal.close();
    }
  });
});
