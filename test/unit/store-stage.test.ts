import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import pLimit from "p-limit";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import type { PutRequest, StorageProvider, StoredObject } from "../../pipeline/providers/types.js";
import { storeObject } from "../../pipeline/stages/store.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");

/** Pure logic under test (who puts what, and what is counted), so the provider only counts its puts. */
function countingProvider(): StorageProvider & { puts: number } {
  const provider = {
    name: "counting",
    puts: 0,
    async put(request: PutRequest): Promise<StoredObject> {
      provider.puts++;
      await sleep(20);
      const { address } = request;
      return {
        provider: "counting",
        kind: request.kind,
        locator: address.cid,
        sha256: address.sha256,
        cid: address.cid,
        size: address.size,
        reused: false,
      };
    },
  };
  return provider as unknown as StorageProvider & { puts: number };
}

describe("store stage", () => {
  let dir: string;
  let ledger: Ledger;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-store-"));
    ledger = await Ledger.open({ workDir: dir });
  });
  afterEach(async () => {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends an object shared by tracks that reach it together once, records it for each, counts its bytes once", async () => {
    const tracks = [1, 2, 3].map(sha);
    for (const n of [1, 2, 3]) await ledger.record(trackRecord(n));
    const provider = countingProvider();
    const cover: PutRequest = {
      kind: "artwork",
      source: { bytes: new Uint8Array(5000) },
      address: { size: 5000, sha256: sha(99), cid: "bafk-cover", profile: "unixfs-v1-2025" },
      mimeType: "image/jpeg",
      extension: ".jpg",
    };
    const targets = [{ role: "local-ipfs" as const, provider }];
    const limit = pLimit(5);
    const store = async (sha256: string) =>
      storeObject({
        targets,
        request: cover,
        existing: (await ledger.track(sha256))?.stored ?? [],
        uploadLimit: limit,
        onStored: (object) => ledger.record({ type: "stored", sha256, object }),
      });
    const outcomes = await Promise.all(tracks.map(store));

    expect(provider.puts).to.equal(1);
    expect(outcomes.map((o) => o.uploadedBytes).sort()).to.deep.equal([0, 0, 5000]);
    for (const track of tracks)
      expect((await ledger.track(track))?.stored.map((o) => o.cid)).to.deep.equal(["bafk-cover"]);

    // Once that put is over, a later track asks the provider again (which knows whether it holds it).
    await ledger.record(trackRecord(4));
    await store(sha(4));
    expect(provider.puts).to.equal(2);
  });
});

function trackRecord(n: number) {
  return {
    type: "track" as const,
    sha256: sha(n),
    file: `${n}.mp3`,
    size: 1000,
    cid: `bafk-${n}`,
    profile: "unixfs-v1-2025" as const,
    mimeType: "audio/mpeg",
    modifiedMs: 0,
    ino: n,
  };
}
