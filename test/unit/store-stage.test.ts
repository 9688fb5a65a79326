import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import pLimit from "p-limit";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import type {
  ObjectKind,
  PutRequest,
  StorageProvider,
  StoredObject,
} from "../../pipeline/providers/types.js";
import { type StoreTarget, storeObject } from "../../pipeline/stages/store.js";

const sha = (n: number) => n.toString(16).padStart(64, "0");

/** Pure logic under test (who puts what, and what is counted), so the provider only counts its puts. */
function countingProvider(): StorageProvider & { puts: number; held: Set<string> } {
  const provider = {
    name: "counting",
    puts: 0,
    held: new Set<string>(),
    async has(object: StoredObject): Promise<boolean> {
      return provider.held.has(object.cid);
    },
    async put(request: PutRequest): Promise<StoredObject> {
      provider.puts++;
      provider.held.add(request.address.cid);
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
  return provider as unknown as StorageProvider & { puts: number; held: Set<string> };
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

  /** Stores `request` for the track `sha256` on `targets`, given what the ledger records for that track. */
  const store = async (sha256: string, targets: StoreTarget[], request: PutRequest, limit = pLimit(1)) =>
    storeObject({
      targets,
      request,
      existing: (await ledger.track(sha256))?.stored ?? [],
      uploadLimit: limit,
      onStored: (object) => ledger.record({ type: "stored", sha256, object }),
    });

  it("sends an object shared by tracks that reach it together once, records it for each, counts its bytes once", async () => {
    const tracks = [1, 2, 3].map(sha);
    for (const n of [1, 2, 3]) await ledger.record(trackRecord(n));
    const provider = countingProvider();
    const cover = bytesPut("artwork", 5000, sha(99), "bafk-cover");
    const targets = [{ role: "local-ipfs" as const, provider, onThisMachine: true }];
    const limit = pLimit(5);
    const outcomes = await Promise.all(tracks.map((track) => store(track, targets, cover, limit)));

    expect(provider.puts).to.equal(1);
    expect(outcomes.map((o) => o.uploadedBytes).sort()).to.deep.equal([0, 0, 5000]);
    for (const track of tracks)
      expect((await ledger.track(track))?.stored.map((o) => o.cid)).to.deep.equal(["bafk-cover"]);

    // Once that put is over, a later track asks the provider again (which knows whether it holds it).
    await ledger.record(trackRecord(4));
    await store(sha(4), targets, cover, limit);
    expect(provider.puts).to.equal(2);
  });

  it("takes the ledger's word for a remote copy, and asks a provider on this machine whether it still holds its copy", async () => {
    await ledger.record(trackRecord(1));
    const request = bytesPut("audio", 1000, sha(1), "bafk-1");
    const local = countingProvider();
    const here = [{ role: "local-ipfs" as const, provider: local, onThisMachine: true }];
    await store(sha(1), here, request);
    expect((await store(sha(1), here, request)).stored[0]?.reused).to.equal(true);
    expect(local.puts).to.equal(1);

    // Another worker's node, or the same repo deleted: recorded, but not held here, so it is put again.
    local.held.clear();
    const again = await store(sha(1), here, request);
    expect(local.puts).to.equal(2);
    expect(again.uploadedBytes).to.equal(1000);

    // A remote backend is not asked on every run: the ledger records what it confirmed by reading it back.
    local.held.clear();
    const remote = await store(sha(1), [{ role: "remote", provider: local, onThisMachine: false }], request);
    expect(local.puts).to.equal(2);
    expect(remote.stored[0]?.reused).to.equal(true);
  });
});

/** A put of `size` zero bytes addressed as `cid`: the provider never looks at them. */
function bytesPut(kind: ObjectKind, size: number, sha256: string, cid: string): PutRequest {
  return {
    kind,
    source: { bytes: new Uint8Array(size) },
    address: { size, sha256, cid, profile: "unixfs-v1-2025" },
    mimeType: "application/octet-stream",
    extension: ".bin",
  };
}

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
