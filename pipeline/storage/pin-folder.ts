import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { importRoot } from "../content/import.js";
import { addressFile } from "../content/index.js";
import type { CidProfile } from "../content/types.js";
import { describeError } from "../errors.js";
import type { EmbeddedIpfsNode } from "../providers/ipfs/helia-node.js";
import { WrittenDag } from "../providers/ipfs/written-dag.js";
import type { StorageProvider } from "../providers/types.js";

/** Every file under `dir`, as paths relative to it with `/` separators (a UnixFS directory's names). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

export interface PinnedFolder {
  cid: string;
  /** The providers that hold the folder, the embedded node first. */
  pinned: string[];
  /** Remote backends that could not take it, with why (the folder stays pinned where it is). */
  failed: Array<{ provider: string; error: string }>;
}

/**
 * Pins a folder as one UnixFS directory (files streamed, under the run's CID profile): written into the
 * embedded node and pinned there, then pushed to every remote IPFS backend as a CAR like any object, each
 * backend's reported CID checked and `checkFile` (a file of the folder) read back through it by path and
 * hashed. `/ipfs/<cid>/<file>` then resolves on every provider that holds it.
 */
export async function pinFolder(options: {
  dir: string;
  checkFile: string;
  node: EmbeddedIpfsNode;
  /** The IPFS providers, the embedded node's first (as the factory gives them). */
  providers: StorageProvider[];
  profile: CidProfile;
}): Promise<PinnedFolder> {
  const { dir, node, profile } = options;
  const dag = new WrittenDag();
  const root = await importRoot(
    (await filesUnder(dir)).map((path) => ({ path, content: createReadStream(join(dir, path)) })),
    dag.recording(node.helia.blockstore),
    profile,
    { wrapWithDirectory: true },
  );
  await node.pin(root, dag);
  const [embedded, ...remotes] = options.providers;
  const result: PinnedFolder = { cid: root.toString(), pinned: [embedded!.name], failed: [] };
  const checked = await addressFile(join(dir, options.checkFile), { profile });
  for (const remote of remotes) {
    try {
      // Routed as metadata is (embedded node, then every remote): a folder of documents, not a track's audio.
      await remote.put({
        kind: "metadata",
        source: { path: join(dir, options.checkFile) },
        address: { ...checked, cid: result.cid },
        mimeType: "application/x-directory",
        extension: "",
        folderFile: options.checkFile,
      });
      result.pinned.push(remote.name);
    } catch (error) {
      result.failed.push({ provider: remote.name, error: describeError(error) });
    }
  }
  return result;
}
