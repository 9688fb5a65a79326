import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as dagPb from "@ipld/dag-pb";
import { MemoryBlockstore } from "blockstore-core/memory";
import { expect } from "chai";
import fc from "fast-check";
import { exporter } from "ipfs-unixfs-exporter";
import { importer } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import {
  addressBytes,
  addressFile,
  addressStream,
  importerOptions,
  metadataCid,
  metadataDigest,
  parseCidProfile,
} from "../../pipeline/content/index.js";
import { AbortedError, InputError, IntegrityError } from "../../pipeline/errors.js";
import { ipfsCarCid } from "../support/ipfs-car-reference.js";
import { seededBytes, seededChunks, writeSeededFile } from "../support/seeded-bytes.js";

const MiB = 1024 * 1024;
const hello = new TextEncoder().encode("hello\n");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("content addressing", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-content-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("known vectors", () => {
    it("gives Kubo's classic CIDs under kubo-v0", async () => {
      expect((await addressBytes(hello, { profile: "kubo-v0" })).cid).to.equal(
        "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN",
      );
      expect((await addressBytes(new Uint8Array(0), { profile: "kubo-v0" })).cid).to.equal(
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
      );
    });

    it("gives a single raw block for small files under unixfs-v1-2025", async () => {
      const empty = await addressBytes(new Uint8Array(0));
      expect(empty).to.deep.equal({
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        cid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        profile: "unixfs-v1-2025",
      });
      const small = await addressBytes(hello);
      expect(small.cid).to.equal("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
      expect(small.sha256).to.equal("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    });

    // Vectors computed by ipfs-car 3.1.0 (an independent UnixFS implementation) over the seeded bytes.
    it("switches from one raw block to a dag-pb root at exactly 1 MiB + 1", async () => {
      const exact = await addressStream(seededChunks("1mib", MiB));
      expect(exact.address.cid).to.equal("bafkreig6rocvuxmjvitacyafwbag5zhrvhlzajz623gtv2m6ktxou6wwjm");
      const over = await addressStream(seededChunks("1mib+1", MiB + 1));
      expect(over.address.cid).to.equal("bafybeihe7hi6uu3gihsb2ii6vdtzmhdskp5s232ese4bkch5ujmg2kwnru");
      expect(over.address.size).to.equal(MiB + 1);
    });

    it("builds a multi-level DAG for more than 1024 chunks", async function () {
      this.timeout(120_000);
      const { address, root } = await addressStream(seededChunks("multi-level", 1025 * MiB + 7));
      expect(address.cid).to.equal("bafybeiaoad2jjyqgnddcxqs5wim4pwdohjfroaiyiudcskaibvgmr5uiie");
      expect(address.size).to.equal(1025 * MiB + 7);
      expect(root.code).to.equal(dagPb.code);
    });
  });

  it("agrees with ipfs-car on random files of many sizes", async function () {
    this.timeout(60_000);
    const sizes = fc.oneof(
      fc.integer({ min: 0, max: 4096 }),
      fc.integer({ min: MiB - 2, max: MiB + 2 }),
      fc.integer({ min: 0, max: 3 * MiB + 17 }),
    );
    await fc.assert(
      fc.asyncProperty(sizes, fc.string({ minLength: 1, maxLength: 8 }), async (length, seed) => {
        const bytes = await seededBytes(seed, length);
        const ours = await addressBytes(bytes);
        expect(ours.cid).to.equal(await ipfsCarCid(bytes));
        expect(ours.sha256).to.equal(sha256(bytes));
        expect(ours.size).to.equal(length);
      }),
      { numRuns: 25 },
    );
  });

  it("reads a file in one pass and matches the in-memory result", async () => {
    // More pieces than the reader's reused buffers, so every buffer is refilled while the DAG grows.
    const path = join(dir, "track.bin");
    await writeSeededFile(path, "file", 7 * MiB + 3);
    const bytes = await seededBytes("file", 7 * MiB + 3);
    for (const profile of ["unixfs-v1-2025", "kubo-v0"] as const) {
      expect(await addressFile(path, { profile })).to.deep.equal(await addressBytes(bytes, { profile }));
    }
  });

  it("builds the same DAG as the plain importer with importerOptions, and the DAG holds the bytes", async () => {
    // kubo-v0: 175 chunks of 256 KiB overflow the 174-link root, so this DAG has two levels.
    const bytes = await seededBytes("kubo-levels", 175 * 256 * 1024 + 1);
    for (const profile of ["unixfs-v1-2025", "kubo-v0"] as const) {
      const blockstore = new MemoryBlockstore();
      let root: CID | undefined;
      for await (const entry of importer([{ content: bytes }], blockstore, importerOptions(profile))) {
        root = entry.cid;
      }
      expect((await addressBytes(bytes, { profile })).cid).to.equal(root!.toString());
      const entry = await exporter(root!, blockstore);
      if (entry.type !== "file") expect.fail(`root ${root} is a ${entry.type}, not a UnixFS file`);
      const back: Uint8Array[] = [];
      for await (const chunk of entry.content()) back.push(chunk as Uint8Array);
      expect(sha256(Buffer.concat(back))).to.equal(sha256(bytes));
    }
  });

  it("names the file when it cannot be read", async () => {
    const missing = join(dir, "missing.flac");
    const error = await addressFile(missing).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message)
      .to.contain(missing)
      .and.contain("no such file");
    const isDir = await addressFile(dir).catch((e: unknown) => e);
    expect(isDir).to.be.instanceOf(InputError);
    expect((isDir as Error).message).to.contain("directory");
  });

  it("stops when aborted", async () => {
    const path = join(dir, "abort.bin");
    await writeFile(path, hello);
    const error = await addressFile(path, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AbortedError);

    const long = join(dir, "abort-midway.bin");
    await writeSeededFile(long, "abort", 7 * MiB);
    const controller = new AbortController();
    const midway = addressFile(long, { signal: controller.signal }).catch((e: unknown) => e);
    setImmediate(() => controller.abort());
    expect(await midway).to.be.instanceOf(AbortedError);
    // The abandoned hash job is gone and the next file is hashed from its own start.
    expect((await addressFile(long)).sha256).to.equal(sha256(await seededBytes("abort", 7 * MiB)));
  });

  it("rejects unknown profile names with the allowed ones", () => {
    expect(parseCidProfile("kubo-v0")).to.equal("kubo-v0");
    expect(() => parseCidProfile("v2", { field: "--profile" }))
      .to.throw(InputError)
      .with.property("message")
      .that.contains("unixfs-v1-2025, kubo-v0");
  });

  describe("metadata CIDs", () => {
    it("are CIDv1 raw sha2-256 of the JSON bytes, equal to the unixfs-v1-2025 CID of small documents", async () => {
      const json = new TextEncoder().encode(JSON.stringify({ name: "Track 1" }));
      const cid = metadataCid(json);
      expect(cid.version).to.equal(1);
      expect(cid.code).to.equal(0x55);
      expect(cid.toString()).to.equal((await addressBytes(json)).cid);
      expect(metadataDigest(cid)).to.equal(`0x${sha256(json)}`);
      expect(metadataDigest(cid.toString())).to.equal(`0x${sha256(json)}`);
    });

    it("refuse to give a digest for a CID that is not sha2-256", () => {
      const identity = CID.parse("bafkqaddimvwgy3zao5xxe3debi");
      expect(() => metadataDigest(identity)).to.throw(IntegrityError);
    });
  });
});
