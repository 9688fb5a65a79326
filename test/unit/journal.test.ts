import { spawnSync } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Journal, JournalError } from "../../pipeline/journal/journal.js";
import { LockedError } from "../../pipeline/journal/lock.js";
import type { JournalRecord } from "../../pipeline/journal/records.js";
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

describe("journal", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-journal-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("replays every record after a reopen", async () => {
    const journal = await Journal.open(dir);
    await Promise.all([1, 2, 3].map((n) => journal.append(track(n))));
    await journal.append({
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
    await journal.append({ type: "mint-sent", deployment, txHash: "0xabc", sha256s: [sha(1)] });
    await journal.append({ type: "minted", deployment, sha256: sha(1), tokenId: "7", txHash: "0xabc" });
    await journal.close();

    const reopened = await Journal.open(dir);
    expect(reopened.tracks().map((t) => t.file)).to.deep.equal(["song1.mp3", "song2.mp3", "song3.mp3"]);
    const first = reopened.track(sha(1))!;
    expect(first.stored).to.have.length(1);
    expect(first.minted.get(`31337:${deployment.contract.toLowerCase()}`)?.tokenId).to.equal(7n);
    expect(reopened.pendingMints(deployment).map((p) => p.txHash)).to.deep.equal(["0xabc"]);
    await reopened.close();
  });

  it("treats a new deployment at a known address as a fresh contract: nothing minted on it yet", async () => {
    const journal = await Journal.open(dir);
    await journal.append(track(1));
    await journal.append({ type: "deployed", deployment });
    await journal.append({ type: "mint-sent", deployment, txHash: "0xabc", sha256s: [sha(1)] });
    await journal.append({ type: "minted", deployment, sha256: sha(1), tokenId: "1", txHash: "0xabc" });
    expect(journal.track(sha(1))!.minted.size).to.equal(1);
    // A reset chain (a restarted local node) gets the same address again on redeploy.
    await journal.append({ type: "deployed", deployment });
    expect(journal.track(sha(1))!.minted.size).to.equal(0);
    expect(journal.pendingMints(deployment)).to.deep.equal([]);
    await journal.close();
  });

  it("gives back a file's address only while its size, mtime, inode and profile are unchanged", async () => {
    const journal = await Journal.open(dir);
    await journal.append({ ...track(1), modifiedMs: 1700000000000, ino: 42 } as JournalRecord);
    const same = {
      file: "song1.mp3",
      size: 1001,
      mtimeMs: 1700000000000,
      ino: 42,
      profile: "unixfs-v1-2025",
    };
    expect(journal.knownAddress(same)).to.deep.equal({
      size: 1001,
      sha256: sha(1),
      cid: "bafk1",
      profile: "unixfs-v1-2025",
    });
    expect(journal.knownAddress({ ...same, mtimeMs: 1700000000001 })).to.equal(undefined);
    expect(journal.knownAddress({ ...same, size: 1002 })).to.equal(undefined);
    expect(journal.knownAddress({ ...same, ino: 43 })).to.equal(undefined);
    expect(journal.knownAddress({ ...same, profile: "kubo-v0" })).to.equal(undefined);
    await journal.close();
  });

  it("drops a record torn by a crash and keeps appending on a clean line", async () => {
    const journal = await Journal.open(dir);
    await journal.append(track(1));
    await journal.close();
    await appendFile(join(dir, "journal.jsonl"), '{"type":"track","sha256":"00');

    const reopened = await Journal.open(dir);
    expect(reopened.tracks()).to.have.length(1);
    await reopened.append(track(2));
    await reopened.close();
    const lines = (await readFile(join(dir, "journal.jsonl"), "utf8")).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).file)).to.deep.equal(["song1.mp3", "song2.mp3"]);
  });

  it("refuses a journal corrupted before its last line, naming the file and line", async () => {
    await writeFile(join(dir, "journal.jsonl"), `not json\n${JSON.stringify(track(1))}\n`);
    const error = await Journal.open(dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(JournalError);
    expect((error as Error).message)
      .to.include("journal.jsonl")
      .and.include("line 1");
  });

  it("lets only one process use a work directory, and takes over a dead one's lock", async () => {
    const journal = await Journal.open(dir);
    const error = await Journal.open(dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(LockedError);
    expect((error as Error).message).to.include(`pid ${process.pid}`);
    await journal.close();

    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    await writeFile(
      join(dir, "journal.lock"),
      JSON.stringify({ pid: dead, host: (await import("node:os")).hostname() }),
    );
    const again = await Journal.open(dir);
    await again.close();
  });

  it("never writes a registered secret", async () => {
    registerSecret("journal-secret-token-123");
    const journal = await Journal.open(dir);
    await journal.append({
      type: "failed",
      sha256: sha(1),
      stage: "upload",
      error: "403 for key journal-secret-token-123",
    });
    await journal.close();
    expect(await readFile(join(dir, "journal.jsonl"), "utf8")).to.not.include("journal-secret-token-123");
  });
});
