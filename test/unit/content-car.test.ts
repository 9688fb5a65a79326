import { createHash } from "node:crypto";
import { access, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CarReader } from "@ipld/car/reader";
import { MemoryBlockstore } from "blockstore-core/memory";
import { expect } from "chai";
import { exporter } from "ipfs-unixfs-exporter";
import { addressFile, packCar, verifyCar } from "../../pipeline/content/index.js";
import { InputError } from "../../pipeline/errors.js";
import { seededBytes, writeSeededFile } from "../support/seeded-bytes.js";

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Loads a CAR into a blockstore and reads the UnixFS entry at `path` under its root. */
async function readFromCar(carPath: string, path = "") {
  const reader = await CarReader.fromBytes(await readFile(carPath));
  const blockstore = new MemoryBlockstore();
  for await (const { cid, bytes } of reader.blocks()) await blockstore.put(cid, bytes);
  const [root] = await reader.getRoots();
  const entry = await exporter(path ? `${root}/${path}` : root!, blockstore);
  if (entry.type !== "file" && entry.type !== "raw") expect.fail(`${path} is a ${entry.type}`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.content()) chunks.push(chunk as Uint8Array);
  return { root: root!.toString(), bytes: Buffer.concat(chunks) };
}

describe("packCar", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-car-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const profile of ["unixfs-v1-2025", "kubo-v0"] as const) {
    it(`packs a file under ${profile} with the file's own CID as root`, async () => {
      const path = join(dir, `track-${profile}.bin`);
      await writeSeededFile(path, profile, 3 * MiB + 5);
      const carPath = join(dir, `track-${profile}.car`);
      const { root, bytes } = await packCar({ path }, carPath, { profile });
      expect(root.toString()).to.equal((await addressFile(path, { profile })).cid);
      expect(bytes).to.equal((await stat(carPath)).size);
      const back = await readFromCar(carPath);
      expect(back.root).to.equal(root.toString());
      expect(sha256(back.bytes)).to.equal(sha256(await readFile(path)));
      await verifyCar({ path: carPath }, root);
    });
  }

  it("packs several files into a directory named by their basenames or given names", async () => {
    const path = join(dir, "a.flac");
    await writeSeededFile(path, "a", MiB + 1);
    const cover = await seededBytes("cover", 1000);
    const carPath = join(dir, "album.car");
    const { root } = await packCar([{ path }, { bytes: cover, name: "cover.jpg" }], carPath);
    await verifyCar({ path: carPath }, root);
    expect(sha256((await readFromCar(carPath, "a.flac")).bytes)).to.equal(sha256(await readFile(path)));
    expect(sha256((await readFromCar(carPath, "cover.jpg")).bytes)).to.equal(sha256(cover));
  });

  it("refuses duplicate names and leaves no file behind when an input is missing", async () => {
    const bytes = new Uint8Array([1]);
    const dup = await packCar(
      [
        { bytes, name: "x" },
        { bytes, name: "x" },
      ],
      join(dir, "dup.car"),
    ).catch((e: unknown) => e);
    expect(dup).to.be.instanceOf(InputError);

    const carPath = join(dir, "missing.car");
    const missing = await packCar({ path: join(dir, "nope.wav") }, carPath).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(InputError);
    expect((missing as Error).message).to.contain("nope.wav");
    for (const leftover of [carPath, `${carPath}.partial`]) {
      expect(
        await access(leftover).then(
          () => true,
          () => false,
        ),
        leftover,
      ).to.equal(false);
    }
  });
});
