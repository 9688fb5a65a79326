import { realpath } from "node:fs/promises";
import { InputError } from "../errors.js";
import { type FilePath, fsPath, pathBytes, showPath } from "../util/file-name.js";

/**
 * What a path some input names (an `artwork` entry, a cover beside a track, a release.json image) is
 * checked for before anything reads it: which entry named it and the folders it may lead into.
 */
export interface ConfinedName {
  /** The track or file the problem is reported on. */
  file: string;
  field: string;
  /** Who named the path and how, e.g. `metadata.json: song.artwork = "../x.png"`. */
  entry: string;
  /** The library, the metadata file's folder, or a folder given explicitly (--artwork-dir). */
  roots: FilePath[];
}

/**
 * The one rule for every path an input names: resolved through every link (realpath), it must lie inside
 * one of `roots`, or it is refused before it is opened. Without it a metadata.json could publish any file
 * the user can read (`"artwork": "../../.ssh/id_ed25519"`), and a public IPFS copy is forever.
 * Returns the resolved path, which is what the caller opens (not the name it was given).
 */
export async function confine(path: FilePath, named: ConfinedName): Promise<FilePath> {
  const resolved = await realpath(path, { encoding: "buffer" }).catch((error: NodeJS.ErrnoException) => {
    const what = error.code === "ELOOP" ? "is a symbolic link that loops" : "does not exist";
    throw new InputError("MISSING_FILE", `${named.entry}: ${showPath(path)} ${what}`, {
      file: named.file,
      field: named.field,
      hint: "a path is relative to the file that names it (metadata.json, release.json)",
    });
  });
  const roots = await Promise.all(
    named.roots.map((root) => realpath(root, { encoding: "buffer" }).catch(() => undefined)),
  );
  if (roots.some((root) => root !== undefined && isInside(root, resolved))) return fsPath(resolved);
  throw new InputError(
    "OUTSIDE_LIBRARY",
    `${named.entry} resolves to ${showPath(resolved)}, outside the library and the folders given for it; not read`,
    {
      file: named.file,
      field: named.field,
      hint: "copy the file into the library and name it from there",
    },
  );
}

/** `path` is `root` or lies under it; both already resolved. Compares bytes, as the file system does. */
export function isInside(root: FilePath, path: FilePath): boolean {
  const r = pathBytes(root);
  const p = pathBytes(path);
  if (p.equals(r)) return true;
  const prefix = r[r.length - 1] === 0x2f ? r : Buffer.concat([r, Buffer.from("/")]);
  return p.length > prefix.length && p.subarray(0, prefix.length).equals(prefix);
}
