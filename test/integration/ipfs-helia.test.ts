import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { unixfs } from "@helia/unixfs";
import { FsBlockstore } from "blockstore-fs";
import { expect } from "chai";
import { FsDatastore } from "datastore-fs";
import { CID } from "multiformats/cid";
import { addressBytes, addressFile } from "../../pipeline/content/address.js";
import type { CidProfile } from "../../pipeline/content/types.js";
import { IntegrityError, ProviderError } from "../../pipeline/errors.js";
import { EmbeddedIpfsProvider } from "../../pipeline/providers/ipfs/embedded-provider.js";
import { createHeliaLight } from "../../pipeline/providers/ipfs/helia-light.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { localOnlyRouter } from "../../pipeline/providers/ipfs/local-only-router.js";
import { NODE_DATABASE } from "../../pipeline/providers/ipfs/node-stores.js";
import { type SampleTrack, sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { writeSeededFile } from "../support/seeded-bytes.js";

const run = promisify(execFile);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("embedded Helia node (integration)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: EmbeddedIpfsNode;
  let track: SampleTrack;

  before(async () => {
    dir = await tempDir();
    track = await sampleTrack(dir.path, 2_500_000);
  });
  beforeEach(async () => {
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
  });
  afterEach(() => node.stop());
  after(() => dir.remove());

  it("adds, pins and cats a file under the CID we computed, and keeps it across a restart", async () => {
    const provider = new EmbeddedIpfsProvider(node);
    let written = 0;
    const stored = await provider.put({
      ...track.request,
      onSent: (bytes) => {
        written += bytes;
      },
    });
    expect(written).to.equal(track.bytes.length);
    expect(stored).to.include({
      provider: "ipfs",
      locator: track.address.cid,
      cid: track.address.cid,
      reused: false,
    });
    expect(await node.isPinned(track.address.cid)).to.equal(true);
    expect(sha256(await collect(await provider.get(stored)))).to.equal(track.address.sha256);

    await node.stop();
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    const again = new EmbeddedIpfsProvider(node);
    expect(await again.has(stored)).to.equal(true);
    await again.verify(stored);
    expect((await again.put(track.request)).reused).to.equal(true);
    expect(await again.stats()).to.deep.include({ objects: 1, bytes: track.bytes.length });
  });

  it("pins every block of multi-level DAGs under both profiles from concurrent adds, without reading them back", async () => {
    const repo = `${dir.path}/dags`;
    node = await node.stop().then(() => new EmbeddedIpfsNode().start({ directory: repo }));
    // kubo-v0: 174 links of 256 KiB, so 46 MB is a root over internal nodes over dag-pb leaves.
    const specs: Array<[CidProfile, number]> = [
      ["kubo-v0", 46_000_000],
      ["kubo-v0", 300_000],
      ["unixfs-v1-2025", 5 * 1024 * 1024 + 1],
      ["unixfs-v1-2025", 1024 * 1024],
      ["unixfs-v1-2025", 0],
      ["unixfs-v1-2025", 3_333_333],
    ];
    const files = [];
    for (const [i, [profile, size]] of specs.entries()) {
      const path = join(dir.path, `dag-${i}.bin`);
      await writeSeededFile(path, `dag-${i}`, size);
      files.push({ path, address: await addressFile(path, { profile }) });
    }
    // All at once, so reads through the shared buffer pool interleave.
    await Promise.all(files.map((f) => node.add({ path: f.path }, f.address)));

    const blocks = async () => {
      let count = 0;
      for await (const _ of node.helia.blockstore.getAll()) count++;
      return count;
    };
    const written = await blocks();
    expect(written).to.be.greaterThan(190); // 46 MB / 256 KiB leaves alone are 176 blocks
    // Blocks the pins did not cover would go now, and the reads below would fail.
    await node.helia.gc();
    expect(await blocks()).to.equal(written);
    for (const f of files) {
      expect(await node.isPinned(f.address.cid)).to.equal(true);
      await node.verify({ cid: f.address.cid, sha256: f.address.sha256, size: f.address.size });
    }
    // And every block was recorded as pinned by its root: unpinned, all of them are collected.
    for (const f of files) for await (const _ of node.helia.pins.rm(CID.parse(f.address.cid)));
    await node.helia.gc();
    expect(await blocks()).to.equal(0);
  });

  it("moves a repo written by earlier versions (blockstore-fs, datastore-fs) into its database", async () => {
    const repo = join(dir.path, "file-stores");
    const blockstore = new FsBlockstore(join(repo, "blocks"));
    const datastore = new FsDatastore(join(repo, "datastore"));
    await Promise.all([blockstore.open(), datastore.open()]);
    const old = await createHeliaLight({ blockstore, datastore, routers: [localOnlyRouter] });
    await old.start();
    const cid = await unixfs(old).addBytes(track.bytes);
    for await (const _ of old.pins.add(cid));
    await old.stop();
    await Promise.all([blockstore.close(), datastore.close()]);

    await node.stop();
    node = await new EmbeddedIpfsNode().start({ directory: repo });
    expect(await node.isPinned(cid)).to.equal(true);
    expect(sha256(await collect(node.get(cid)))).to.equal(track.address.sha256);
    expect(await readdir(repo)).to.not.include.members(["blocks", "datastore"]);
    // Every block came over: collecting garbage leaves the pinned file readable.
    await node.helia.gc();
    expect(sha256(await collect(node.get(cid)))).to.equal(track.address.sha256);
  });

  it("names its database and IPFS_REPO when the database cannot be opened", async () => {
    const repo = join(dir.path, "unopenable");
    await mkdir(join(repo, NODE_DATABASE), { recursive: true }); // a folder where the database file would be
    const error = await new EmbeddedIpfsNode().start({ directory: repo }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError);
    expect(error).to.include({ field: "IPFS_REPO" });
    expect((error as Error).message).to.contain(join(repo, NODE_DATABASE));
  });

  it("rejects an add whose CID differs from the one we computed", async () => {
    const other = await addressBytes(track.bytes.subarray(1));
    const lie = { ...track.request, address: { ...track.address, cid: other.cid } };
    const error = await node.add(lie.source, lie.address).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message).to.contain(other.cid);
  });

  it("detects bytes that do not hash to the SHA-256 we recorded", async () => {
    const provider = new EmbeddedIpfsProvider(node);
    const stored = await provider.put(track.request);
    const error = await provider.verify({ ...stored, sha256: "0".repeat(64) }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
  });

  it("serves raw blocks, a CAR and byte ranges that a second process verifies with verified-fetch", async () => {
    await node.add(track.request.source, track.address);
    const gateway = await node.serve({ port: 0 });
    expect(gateway).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const [start, end] = [1_048_570, 1_048_600]; // straddles the first leaf boundary
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "test/support/ipfs-verified-fetch-client.ts",
        gateway,
        track.address.cid,
        `${start}`,
        `${end}`,
      ],
      { timeout: 60_000 },
    );
    const seen = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(seen).to.deep.include({
      status: 200,
      size: track.bytes.length,
      sha256: track.address.sha256,
      rangeStatus: 206,
      rangeSha256: sha256(track.bytes.subarray(start, end + 1)),
      roots: [track.address.cid],
      carBlocks: 4, // three 1 MiB-or-less raw leaves and the root
    });
    expect(seen.carType).to.match(/^application\/vnd\.ipld\.car/);

    const range = await fetch(`${gateway}/ipfs/${track.address.cid}`, { headers: { range: "bytes=0-9" } });
    expect(range.status).to.equal(206);
    expect(range.headers.get("content-range")).to.equal(`bytes 0-9/${track.bytes.length}`);
    expect(new Uint8Array(await range.arrayBuffer())).to.deep.equal(track.bytes.subarray(0, 10));
    expect((await fetch(`${gateway}/ipfs/${track.address.cid}?format=tar`)).status).to.equal(400);
  });
});
