import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { CID } from "multiformats/cid";
import { importRoot } from "../content/import.js";
import type { CidProfile } from "../content/types.js";
import type { EmbeddedIpfsNode } from "../providers/ipfs/helia-node.js";
import { WrittenDag } from "../providers/ipfs/written-dag.js";

/** Every file under `dir`, as paths relative to it with `/` separators (a UnixFS directory's names). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/**
 * Writes a folder into the embedded node as one UnixFS directory (files streamed, under the run's CID
 * profile) and pins it; returns the directory's CID, under which `/ipfs/<cid>/index.html` resolves.
 */
export async function pinFolder(node: EmbeddedIpfsNode, dir: string, profile: CidProfile): Promise<CID> {
  const files = await filesUnder(dir);
  const dag = new WrittenDag();
  const root = await importRoot(
    files.map((path) => ({ path, content: createReadStream(join(dir, path)) })),
    dag.recording(node.helia.blockstore),
    profile,
    { wrapWithDirectory: true },
  );
  await node.pin(root, dag);
  return root;
}
