import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Key } from "interface-datastore";
import { base32upper } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import type { NodeStores } from "./node-stores.js";

/** Where earlier versions kept the embedded node: blockstore-fs and datastore-fs directories in its repo. */
const BLOCKS_DIR = "blocks";
const DATASTORE_DIR = "datastore";
const FILE_EXTENSION = ".data";
/** Rows a transaction commits, and the bytes it may hold, while an old repo is read in. */
const BATCH_FILES = 256;
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Moves a repo written by earlier versions into its database: every block (its file name is the base32
 * multihash) and every datastore entry (its path is the key), then removes the directory it came from. A
 * run killed meanwhile imports again from the start: rows are keyed, so a second import changes nothing,
 * and a directory is only removed once all of it is in the database. Files that are not the stores'
 * (a temporary file left by a killed write) are left out.
 */
export async function importFileStores(directory: string, stores: NodeStores): Promise<void> {
  await importFiles(join(directory, BLOCKS_DIR), stores, (name) => {
    const multihash = multihashOf(name);
    return multihash && ((bytes) => stores.blockstore.put(CID.createV1(raw.code, multihash), bytes));
  });
  await importFiles(join(directory, DATASTORE_DIR), stores, (name, root) => {
    const key = new Key(relative(root, name).split(sep).join("/"));
    return (bytes) => stores.datastore.put(key, bytes);
  });
}

type Write = (bytes: Uint8Array) => void;

/** Imports each `*.data` file under `root` that `writerFor` accepts; then removes `root`. */
async function importFiles(
  root: string,
  stores: NodeStores,
  writerFor: (path: string, root: string) => Write | undefined,
): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(root, { recursive: true })).filter((path) => path.endsWith(FILE_EXTENSION));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  let batch: { write: Write; bytes: Uint8Array }[] = [];
  let batchBytes = 0;
  const commit = () => {
    stores.inTransaction(() => {
      for (const { write, bytes } of batch) write(bytes);
    });
    batch = [];
    batchBytes = 0;
  };
  for (const file of files) {
    const path = join(root, file);
    const write = writerFor(path.slice(0, -FILE_EXTENSION.length), root);
    if (write === undefined) continue;
    const bytes = await readFile(path);
    batch.push({ write, bytes });
    batchBytes += bytes.length;
    if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) commit();
  }
  commit();
  await rm(root, { recursive: true, force: true });
}

/** The multihash a blockstore-fs file is named for, or undefined for a file it did not write. */
function multihashOf(path: string): Digest.Digest<number, number> | undefined {
  const name = path.slice(path.lastIndexOf(sep) + 1);
  try {
    return Digest.decode(base32upper.decode(name));
  } catch {
    return undefined;
  }
}
