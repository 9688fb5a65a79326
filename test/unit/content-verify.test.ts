import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CarReader } from "@ipld/car/reader";
import { CarWriter } from "@ipld/car/writer";
import { expect } from "chai";
import { CAREncoderStream, createFileEncoderStream } from "ipfs-car";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { sha256 as sha256Hasher, sha512 } from "multiformats/hashes/sha2";
import { addressBytes, metadataCid, packCar, verifyCar, verifyCid } from "../../pipeline/content/index.js";
import { IntegrityError } from "../../pipeline/errors.js";
import { seededBytes, seededChunks } from "../support/seeded-bytes.js";

const MiB = 1024 * 1024;
/** dag-cbor: a real codec, but not one a UnixFS file can have. */
const DAG_CBOR = 0x71;

async function integrityError(promise: Promise<unknown>): Promise<IntegrityError> {
  const error = await promise.then(
    () => expect.fail("expected an IntegrityError"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(IntegrityError);
  return error as IntegrityError;
}

/** Writes a CAR with the given root and blocks, to build broken CARs on purpose. */
async function writeCar(path: string, roots: CID[], blocks: { cid: CID; bytes: Uint8Array }[]) {
  const { writer, out } = CarWriter.create(roots);
  const chunks: Uint8Array[] = [];
  const collected = (async () => {
    for await (const chunk of out) chunks.push(chunk);
  })();
  for (const block of blocks) await writer.put(block);
  await writer.close();
  await collected;
  await writeFile(path, Buffer.concat(chunks));
}

async function carBlocks(path: string) {
  const reader = await CarReader.fromBytes(await readFile(path));
  const blocks: { cid: CID; bytes: Uint8Array }[] = [];
  for await (const block of reader.blocks()) blocks.push(block);
  return { roots: await reader.getRoots(), blocks };
}

describe("verification", () => {
  let dir: string;
  let bytes: Uint8Array;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-verify-"));
    bytes = await seededBytes("verify", 2 * MiB + 9);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("verifyCid", () => {
    it("accepts matching bytes, streams and files under the profile the CID implies", async () => {
      const v1 = await addressBytes(bytes);
      const v0 = await addressBytes(bytes, { profile: "kubo-v0" });
      const path = join(dir, "ok.bin");
      await writeFile(path, bytes);
      await verifyCid(v1.cid, bytes);
      await verifyCid(CID.parse(v0.cid), { path });
      await verifyCid(v1.cid, seededChunks("verify", 2 * MiB + 9));
      const json = new TextEncoder().encode('{"name":"x"}');
      await verifyCid(metadataCid(json), json);
    });

    it("names both CIDs and the file on a mismatch", async () => {
      const expected = (await addressBytes(bytes)).cid;
      const tampered = Uint8Array.from(bytes);
      tampered[MiB + 3]! ^= 1;
      const actual = (await addressBytes(tampered)).cid;
      const error = await integrityError(verifyCid(expected, tampered, { file: "song.flac" }));
      expect(error.message).to.contain(expected).and.contain(actual).and.contain("song.flac");
    });

    it("rejects CIDs it cannot recompute: other codecs, other hashes, garbage", async () => {
      const json = new TextEncoder().encode("{}");
      const cbor = CID.createV1(DAG_CBOR, await sha256Hasher.digest(json));
      const sha512Raw = CID.createV1(raw.code, await sha512.digest(json));
      const identity = CID.createV1(raw.code, Digest.create(0x00, json));
      for (const cid of [cbor, sha512Raw, identity]) {
        const error = await integrityError(verifyCid(cid, json, { file: "meta.json" }));
        expect(error.code).to.equal("CID_UNSUPPORTED");
        expect(error.message).to.contain(cid.toString()).and.contain("meta.json");
      }
      expect((await integrityError(verifyCid("not-a-cid", json))).code).to.equal("CID_INVALID");
    });
  });

  describe("verifyCar", () => {
    let carPath: string;
    let root: CID;
    before(async () => {
      carPath = join(dir, "good.car");
      ({ root } = await packCar({ bytes }, carPath));
    });

    it("accepts our CAR and one made by ipfs-car", async () => {
      await verifyCar({ path: carPath }, root, { file: "good.car" });
      const blob = { stream: () => Readable.toWeb(Readable.from([bytes])) as ReadableStream<Uint8Array> };
      const car = createFileEncoderStream(blob).pipeThrough(new CAREncoderStream([root]));
      await verifyCar(car as unknown as AsyncIterable<Uint8Array>, root.toString());
    });

    it("rejects a CAR whose root is not the expected one", async () => {
      const other = CID.parse((await addressBytes(new Uint8Array([7]))).cid);
      const error = await integrityError(verifyCar({ path: carPath }, other));
      expect(error.code).to.equal("CAR_ROOT");
      expect(error.message).to.contain(root.toString()).and.contain(other.toString()).and.contain(carPath);
    });

    it("rejects a tampered block, naming it", async () => {
      const { roots, blocks } = await carBlocks(carPath);
      const victim = blocks.findIndex((b) => b.cid.code === raw.code);
      const altered = Uint8Array.from(blocks[victim]!.bytes);
      altered[100]! ^= 0xff;
      blocks[victim] = { cid: blocks[victim]!.cid, bytes: altered };
      const tampered = join(dir, "tampered.car");
      await writeCar(tampered, roots, blocks);
      const error = await integrityError(verifyCar({ path: tampered }, root));
      expect(error.code).to.equal("CAR_BLOCK");
      expect(error.message).to.contain(blocks[victim]!.cid.toString()).and.contain(tampered);
    });

    it("rejects a CAR that lacks a block of the DAG", async () => {
      const { roots, blocks } = await carBlocks(carPath);
      const incomplete = join(dir, "incomplete.car");
      await writeCar(
        incomplete,
        roots,
        blocks.filter((b) => b.cid.code !== raw.code || blocks.indexOf(b) !== 1),
      );
      expect((await integrityError(verifyCar({ path: incomplete }, root))).code).to.equal("CAR_INCOMPLETE");
    });

    it("rejects blocks with codecs or hashes it does not accept, and bytes that are no CAR", async () => {
      const json = new TextEncoder().encode("{}");
      const cbor = CID.createV1(DAG_CBOR, await sha256Hasher.digest(json));
      const odd = join(dir, "cbor.car");
      await writeCar(odd, [cbor], [{ cid: cbor, bytes: json }]);
      expect((await integrityError(verifyCar({ path: odd }, root))).code).to.equal("CAR_ROOT");
      const rawCid = CID.createV1(raw.code, await sha256Hasher.digest(json));
      await writeCar(odd, [rawCid], [{ cid: cbor, bytes: json }]);
      expect((await integrityError(verifyCar({ path: odd }, rawCid))).code).to.equal("CID_UNSUPPORTED");
      const garbage = join(dir, "garbage.car");
      await writeFile(garbage, "definitely not a car");
      expect((await integrityError(verifyCar({ path: garbage }, root))).code).to.equal("CAR_INVALID");
    });
  });
});
