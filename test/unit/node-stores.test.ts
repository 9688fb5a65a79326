import { join } from "node:path";
import { expect } from "chai";
import { Key } from "interface-datastore";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { NODE_DATABASE, NodeStores } from "../../pipeline/providers/ipfs/node-stores.js";
import { tempDir } from "../support/ipfs-fixtures.js";

const RAW = 0x55;
const DAG_PB = 0x70;

async function block(text: string): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = new TextEncoder().encode(text);
  return { cid: CID.createV1(RAW, await sha256.digest(bytes)), bytes };
}

async function collect(pieces: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const piece of pieces) chunks.push(piece);
  return Buffer.concat(chunks).toString();
}

async function keys(source: Iterable<Key> | AsyncIterable<Key>): Promise<string[]> {
  const found: string[] = [];
  for await (const key of source) found.push(key.toString());
  return found;
}

describe("embedded node stores (SQLite)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let stores: NodeStores;

  beforeEach(async () => {
    dir = await tempDir();
    stores = NodeStores.open(join(dir.path, NODE_DATABASE));
  });
  afterEach(async () => {
    stores.close();
    await dir.remove();
  });

  it("keeps blocks by multihash across a reopen, whatever codec a CID names them with", async () => {
    const one = await block("one");
    await stores.blockstore.put(one.cid, one.bytes);
    const streamed = await block("streamed in pieces");
    await stores.blockstore.put(
      streamed.cid,
      (async function* () {
        yield streamed.bytes.subarray(0, 5);
        yield streamed.bytes.subarray(5);
      })(),
    );
    stores.close();
    stores = NodeStores.open(join(dir.path, NODE_DATABASE));
    expect(await collect(stores.blockstore.get(one.cid))).to.equal("one");
    expect(await collect(stores.blockstore.get(streamed.cid))).to.equal("streamed in pieces");
    expect(stores.blockstore.has(CID.createV1(DAG_PB, one.cid.multihash))).to.equal(true);
    const all = [];
    for await (const pair of stores.blockstore.getAll()) all.push(pair.cid.toString());
    expect(all.sort()).to.deep.equal([one.cid.toString(), streamed.cid.toString()].sort());
  });

  it("stores an empty block and an empty value, which node:sqlite would bind as NULL", async () => {
    const empty = {
      cid: CID.createV1(RAW, await sha256.digest(new Uint8Array(0))),
      bytes: new Uint8Array(0),
    };
    // Zero-length views with no memory behind them are what an importer hands over for an empty file.
    await stores.blockstore.put(empty.cid, new Uint8Array(new ArrayBuffer(0)));
    expect(stores.blockstore.has(empty.cid)).to.equal(true);
    expect(await collect(stores.blockstore.get(empty.cid))).to.equal("");
    stores.datastore.put(new Key("/empty"), new Uint8Array(new ArrayBuffer(0)));
    expect(stores.datastore.get(new Key("/empty"))).to.have.length(0);
  });

  it("reports a missing block or key with the NotFoundError Helia checks for, and deletes", async () => {
    const absent = await block("absent");
    expect(() => [...stores.blockstore.get(absent.cid)])
      .to.throw()
      .with.property("name", "NotFoundError");
    expect(() => stores.datastore.get(new Key("/absent")))
      .to.throw()
      .with.property("name", "NotFoundError");
    stores.datastore.put(new Key("/gone"), new Uint8Array([1]));
    stores.datastore.delete(new Key("/gone"));
    expect(stores.datastore.has(new Key("/gone"))).to.equal(false);
    await stores.blockstore.put(absent.cid, absent.bytes);
    stores.blockstore.delete(absent.cid);
    expect(stores.blockstore.has(absent.cid)).to.equal(false);
  });

  it("answers a prefix query with exactly the keys under it", async () => {
    for (const key of ["/pin/a", "/pin/b", "/pinned-block/a", "/pim", "/pio", "/z\u{10ffff}", "/version"])
      stores.datastore.put(new Key(key), new TextEncoder().encode(key));
    expect(await keys(stores.datastore.queryKeys({ prefix: "/pin/" }))).to.deep.equal(["/pin/a", "/pin/b"]);
    expect(await keys(stores.datastore.queryKeys({ prefix: "/pin" }))).to.deep.equal([
      "/pin/a",
      "/pin/b",
      "/pinned-block/a",
    ]);
    expect(await keys(stores.datastore.queryKeys({ prefix: "/z" }))).to.deep.equal(["/z\u{10ffff}"]);
    const pairs = [];
    for await (const { key, value } of stores.datastore.query({ prefix: "/pinned" }))
      pairs.push([key.toString(), new TextDecoder().decode(value)]);
    expect(pairs).to.deep.equal([["/pinned-block/a", "/pinned-block/a"]]);
    expect(await keys(stores.datastore.queryKeys({}))).to.have.length(7);
  });

  it("commits a transaction whole or not at all", async () => {
    expect(() =>
      stores.inTransaction(() => {
        stores.datastore.put(new Key("/half"), new Uint8Array([1]));
        throw new Error("stopped midway");
      }),
    ).to.throw("stopped midway");
    expect(stores.datastore.has(new Key("/half"))).to.equal(false);
  });
});
