import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { JournalError } from "../../pipeline/ledger/import-journal.js";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import { LockedError } from "../../pipeline/ledger/lock.js";
import type { JournalRecord } from "../../pipeline/ledger/records.js";
import { registerSecret } from "../../pipeline/util/secrets.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");
const deployment = { chainId: 31337, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const track = (n: number): JournalRecord => ({
  type: "track",
  sha256: sha(n),
  file: `song${n}.mp3`,
  size: 1000 + n,
  cid: `bafk${n}`,
  profile: "unixfs-v1-2025",
  mimeType: "audio/mpeg",
});

const storedAudio = (n: number) => ({
  provider: "storj",
  kind: "audio" as const,
  locator: `audio/${sha(n)}.mp3`,
  sha256: sha(n),
  cid: `bafk${n}`,
  size: 1000 + n,
  reused: false,
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Where a ledger under test lives: the work directory, and a fresh database for each test (PostgreSQL). */
export interface LedgerBackend {
  name: string;
  /** A fresh database URL for one test; undefined: SQLite in the work directory. */
  database(): Promise<string | undefined>;
}

/** The ledger's behaviour, the same on every backend. */
export function describeLedger(backend: LedgerBackend): void {
  describe(`ledger (${backend.name})`, () => {
    let dir: string;
    let databaseUrl: string | undefined;
    const open = () => Ledger.open({ workDir: dir, databaseUrl });
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "dcmx-ledger-"));
      databaseUrl = await backend.database();
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it("keeps every record across a reopen", async () => {
      const ledger = await open();
      await Promise.all([1, 2, 3].map((n) => ledger.record(track(n))));
      await ledger.record({
        type: "stored",
        sha256: sha(1),
        object: {
          provider: "storj",
          kind: "audio",
          locator: `audio/${sha(1)}.mp3`,
          sha256: sha(1),
          cid: "bafk1",
          size: 1001,
          reused: false,
        },
      });
      await ledger.record({ type: "mint-sent", deployment, txHash: "0xabc", sha256s: [sha(1)] });
      await ledger.record({ type: "minted", deployment, sha256: sha(1), tokenId: "7", txHash: "0xabc" });
      await ledger.close();

      const reopened = await open();
      expect((await all(reopened.tracks())).map((t) => t.file)).to.deep.equal([
        "song1.mp3",
        "song2.mp3",
        "song3.mp3",
      ]);
      const first = (await reopened.track(sha(1)))!;
      expect(first.stored).to.have.length(1);
      expect(first.minted.get(`31337:${deployment.contract.toLowerCase()}`)?.tokenId).to.equal(7n);
      expect((await reopened.pendingMints(deployment)).map((p) => p.txHash)).to.deep.equal(["0xabc"]);
      await reopened.close();
    });

    it("treats a new deployment at a known address as a fresh contract: nothing minted on it yet", async () => {
      const ledger = await open();
      await ledger.record(track(1));
      await ledger.record({ type: "deployed", deployment });
      await ledger.record({ type: "mint-sent", deployment, txHash: "0xabc", sha256s: [sha(1)] });
      await ledger.record({ type: "minted", deployment, sha256: sha(1), tokenId: "1", txHash: "0xabc" });
      expect((await ledger.track(sha(1)))!.minted.size).to.equal(1);
      // A reset chain (a restarted local node) gets the same address again on redeploy.
      await ledger.record({ type: "deployed", deployment });
      expect((await ledger.track(sha(1)))!.minted.size).to.equal(0);
      expect(await ledger.pendingMints(deployment)).to.deep.equal([]);
      await ledger.close();
    });

    /** Track 1 as a scan recorded it (song1.mp3, with its mtime and inode); gives the file as a later scan sees it. */
    const recordHashedFile = async (ledger: Ledger) => {
      await ledger.record({ ...track(1), modifiedMs: 1700000000000, ino: 42 } as JournalRecord);
      return {
        file: "song1.mp3",
        size: 1001,
        mtimeMs: 1700000000000,
        ino: 42,
        profile: "unixfs-v1-2025" as const,
      };
    };

    it("gives back a file's address only while its size, mtime, inode and profile are unchanged", async () => {
      const ledger = await open();
      const same = await recordHashedFile(ledger);
      expect(await ledger.knownAddress(same)).to.deep.equal({
        size: 1001,
        sha256: sha(1),
        cid: "bafk1",
        profile: "unixfs-v1-2025",
      });
      expect(await ledger.knownAddress({ ...same, mtimeMs: 1700000000001 })).to.equal(undefined);
      expect(await ledger.knownAddress({ ...same, size: 1002 })).to.equal(undefined);
      expect(await ledger.knownAddress({ ...same, ino: 43 })).to.equal(undefined);
      expect(await ledger.knownAddress({ ...same, profile: "kubo-v0" })).to.equal(undefined);
      await ledger.close();
    });

    it("says a file's audio is stored only once a provider holds it and while the file is unchanged", async () => {
      const ledger = await open();
      const same = await recordHashedFile(ledger);
      expect(await ledger.audioStored(same)).to.equal(false);
      await ledger.record({ type: "stored", sha256: sha(1), object: { ...storedAudio(1), kind: "artwork" } });
      expect(await ledger.audioStored(same), "artwork is not the audio").to.equal(false);
      await ledger.record({ type: "stored", sha256: sha(1), object: storedAudio(1) });
      expect(await ledger.audioStored(same)).to.equal(true);
      expect(await ledger.audioStored({ ...same, mtimeMs: 1700000000001 })).to.equal(false);
      expect(await ledger.audioStored({ ...same, file: "song2.mp3" })).to.equal(false);
      await ledger.close();
    });

    it("imports an old journal once, dropping a record torn by a crash, and keeps the file aside", async () => {
      const lines = [
        track(1),
        { type: "stored", sha256: sha(1), object: storedAudio(1) },
        { type: "deployed", deployment },
        { type: "minted", deployment, sha256: sha(1), tokenId: "3", txHash: "0xabc" },
        { type: "mint-sent", deployment, txHash: "0xdef", sha256s: [sha(2)] },
        track(2),
        { type: "failed", sha256: sha(2), stage: "upload audio", error: "503" },
      ];
      await writeFile(
        join(dir, "journal.jsonl"),
        `${lines.map((l) => JSON.stringify(l)).join("\n")}\n{"type":"track","sha256":"00`,
      );
      const ledger = await open();
      expect((await all(ledger.tracks())).map((t) => t.file)).to.deep.equal(["song1.mp3", "song2.mp3"]);
      const first = (await ledger.track(sha(1)))!;
      expect(first.stored).to.deep.equal([storedAudio(1)]);
      expect(first.minted.get(`31337:${deployment.contract.toLowerCase()}`)?.tokenId).to.equal(3n);
      expect((await ledger.track(sha(2)))!.failure).to.deep.equal({ stage: "upload audio", error: "503" });
      expect((await ledger.pendingMints(deployment)).map((p) => p.txHash)).to.deep.equal(["0xdef"]);
      expect(await ledger.deployment(31337)).to.deep.equal(deployment);
      await ledger.record({ type: "verified", sha256: sha(1), metadataCid: "bafkmeta" });
      await ledger.close();
      expect(await readFile(join(dir, "journal.jsonl.imported"), "utf8")).to.include("song2.mp3");

      // Reopened: nothing imported twice, what came after the import is kept.
      const reopened = await open();
      expect((await reopened.track(sha(1)))!.verifiedMetadataCid).to.equal("bafkmeta");
      expect(await all(reopened.tracks())).to.have.length(2);
      await reopened.close();
    });

    it("remembers copies of an object no track owns (the manager API's files)", async () => {
      const ledger = await open();
      await ledger.record({ type: "stored", sha256: sha(9), object: storedAudio(9) });
      await ledger.close();
      const reopened = await open();
      expect(await reopened.storedObjects(sha(9))).to.deep.equal([storedAudio(9)]);
      expect(await reopened.track(sha(9))).to.equal(undefined);
      await reopened.close();
    });

    it("clears a failure on later progress and forgets a verification when the metadata changes", async () => {
      const ledger = await open();
      await ledger.record(track(1));
      await ledger.record({ type: "metadata", sha256: sha(1), cid: "bafkA", path: "/m/a.json" });
      await ledger.record({ type: "verified", sha256: sha(1), metadataCid: "bafkA" });
      await ledger.record({ type: "failed", sha256: sha(1), stage: "mint", error: "reverted" });
      expect((await ledger.track(sha(1)))!.failure?.stage).to.equal("mint");
      await ledger.record({ type: "metadata", sha256: sha(1), cid: "bafkA", path: "/m/a.json" });
      let state = (await ledger.track(sha(1)))!;
      expect(state.failure).to.equal(undefined);
      expect(state.verifiedMetadataCid).to.equal("bafkA");
      await ledger.record({ type: "metadata", sha256: sha(1), cid: "bafkB", path: "/m/b.json" });
      state = (await ledger.track(sha(1)))!;
      expect(state.metadata).to.deep.equal({ cid: "bafkB", path: "/m/b.json" });
      expect(state.verifiedMetadataCid).to.equal(undefined);
      await ledger.close();
    });

    it("refuses an old journal corrupted before its last line, naming the file and line, and leaves it as it was", async () => {
      await writeFile(join(dir, "journal.jsonl"), `not json\n${JSON.stringify(track(1))}\n`);
      const error = await open().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(JournalError);
      expect((error as Error).message)
        .to.include("journal.jsonl")
        .and.include("line 1");
      // The lock was released and the journal left as it was, to be looked at.
      const again = await open().catch((e: unknown) => e);
      expect(again).to.be.instanceOf(JournalError);
    });

    it("lets only one process use a work directory, and takes over a dead one's lock", async () => {
      const ledger = await open();
      const error = await open().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(LockedError);
      expect((error as Error).message).to.include(`pid ${process.pid}`);
      await ledger.close();

      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
      await writeFile(
        join(dir, "journal.lock"),
        JSON.stringify({ pid: dead, host: (await import("node:os")).hostname() }),
      );
      const again = await open();
      await again.close();
    });

    it("keeps the tokenURI a marketplace last showed per token, and forgets them when the contract is deployed anew", async () => {
      const market = { ...deployment, chainId: 11155111 };
      const synced = (tokenId: string, tokenURI: string) =>
        ({
          type: "marketplace-synced",
          deployment: market,
          marketplace: "opensea",
          tokenId,
          tokenURI,
        }) as const;
      let ledger = await open();
      await ledger.record({ type: "deployed", deployment: market });
      await ledger.record(synced("1", "ipfs://a"));
      await ledger.record(synced("2", "ipfs://b"));
      await ledger.record(synced("1", "ipfs://c"));
      await ledger.close();
      ledger = await open();
      try {
        const shown = await ledger.marketplaceSynced(market, "opensea");
        expect([...shown].sort()).to.deep.equal([
          ["1", "ipfs://c"],
          ["2", "ipfs://b"],
        ]);
        expect((await ledger.marketplaceSynced({ ...market, chainId: 1 }, "opensea")).size).to.equal(0);
        // A reset chain deploys to the same address again: nothing of the old contract is on the marketplace.
        await ledger.record({ type: "deployed", deployment: market });
        expect((await ledger.marketplaceSynced(market, "opensea")).size).to.equal(0);
      } finally {
        await ledger.close();
      }
    });

    it("gives a claim to one holder at a time until it is released or expires", async () => {
      const ledger = await open();
      try {
        const { leases } = ledger;
        expect(await leases.claim("song1.mp3", "a", 60_000)).to.equal(true);
        expect(await leases.claim("song1.mp3", "b", 60_000)).to.equal(false);
        expect(await leases.claim("song1.mp3", "a", 60_000), "the holder renews").to.equal(true);
        expect(await leases.othersAtWork("b")).to.equal(1);
        await leases.release("song1.mp3", "b");
        expect(await leases.claim("song1.mp3", "b", 60_000), "only the holder releases").to.equal(false);
        await leases.release("song1.mp3", "a");
        expect(await leases.claim("song1.mp3", "b", 300)).to.equal(true);
        await new Promise((resolve) => setTimeout(resolve, 450));
        expect(await leases.othersAtWork("a"), "an expired claim is no one's work").to.equal(0);
        expect(await leases.claim("song1.mp3", "a", 300), "taken over once expired").to.equal(true);
        await leases.renewClaims("a", 60_000);
        await new Promise((resolve) => setTimeout(resolve, 450));
        expect(await leases.claim("song1.mp3", "b", 60_000), "renewed: still a's").to.equal(false);
      } finally {
        await ledger.close();
      }
    });

    it("hands a lease to one holder, with a new epoch each time it changes hands", async () => {
      const ledger = await open();
      try {
        const { leases } = ledger;
        expect(await leases.hold("mint:1:0xabc", "a", 60_000)).to.equal(1);
        expect(await leases.hold("mint:1:0xabc", "b", 60_000)).to.equal(undefined);
        expect(await leases.hold("mint:1:0xabc", "a", 60_000)).to.equal(1);
        expect(await leases.hold("mint:2:0xabc", "b", 60_000), "another signer or chain").to.equal(1);
        await leases.drop("mint:1:0xabc", "b");
        expect(await leases.hold("mint:1:0xabc", "b", 60_000), "only the holder drops").to.equal(undefined);
        await leases.drop("mint:1:0xabc", "a");
        expect(await leases.hold("mint:1:0xabc", "b", 300)).to.equal(2);
        await new Promise((resolve) => setTimeout(resolve, 450));
        expect(await leases.hold("mint:1:0xabc", "a", 60_000), "taken over once expired").to.equal(3);
      } finally {
        await ledger.close();
      }
    });

    it("keeps tracks in the mint queue until they are minted or fail", async () => {
      const ledger = await open();
      try {
        for (const n of [1, 2, 3]) {
          await ledger.record(track(n));
          await ledger.record({ type: "mint-ready", deployment, sha256: sha(n), metadataCid: `m${n}` });
        }
        await ledger.record({ type: "mint-ready", deployment, sha256: sha(1), metadataCid: "m1-new" });
        expect(await ledger.mintQueue(deployment, 2)).to.deep.equal([
          { sha256: sha(1), metadataCid: "m1-new" },
          { sha256: sha(2), metadataCid: "m2" },
        ]);
        await ledger.record({ type: "minted", deployment, sha256: sha(1), tokenId: "1" });
        await ledger.record({ type: "failed", sha256: sha(2), stage: "mint", error: "reverted" });
        expect(await ledger.mintQueue(deployment, 10)).to.deep.equal([{ sha256: sha(3), metadataCid: "m3" }]);
        const other = { chainId: 1, contract: deployment.contract };
        expect(await ledger.mintQueue(other, 10), "per deployment").to.deep.equal([]);
      } finally {
        await ledger.close();
      }
    });

    it("never keeps a registered secret", async () => {
      registerSecret("ledger-secret-token-123");
      const ledger = await open();
      await ledger.record(track(1));
      await ledger.record({
        type: "failed",
        sha256: sha(1),
        stage: "upload",
        error: "403 for key ledger-secret-token-123",
      });
      expect((await ledger.track(sha(1)))!.failure?.error).to.equal("403 for key [redacted]");
      await ledger.close();
      if (databaseUrl !== undefined) return;
      const files = await readdir(dir);
      expect(files).to.include("ledger.sqlite");
      for (const file of files.filter((f) => f.startsWith("ledger.sqlite")))
        expect((await readFile(join(dir, file))).includes("ledger-secret-token-123"), file).to.equal(false);
    });
  });
}
