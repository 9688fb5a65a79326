import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { InputError } from "../errors.js";

export interface LibraryFile {
  path: string;
  /** Relative to the library root, with "/" separators on every platform. */
  relativePath: string;
  size: number;
  /** With size and inode, what tells a later scan that the bytes have not changed since they were hashed. */
  mtimeMs: number;
  ino: number;
}

export interface WalkResult {
  files: LibraryFile[];
  /** Links that point outside the library (or nowhere) and special files: refused, never opened. */
  refused: InputError[];
}

/**
 * Every regular file under `root`, in a deterministic order (names compared by code unit, directories
 * depth-first), skipping hidden names. Symbolic links are followed only while they stay inside the
 * library, so a scan can never publish a file the artist did not put there; a directory reached twice
 * through links is walked once.
 */
export async function walkLibrary(root: string): Promise<WalkResult> {
  const realRoot = await realpath(root);
  const files: LibraryFile[] = [];
  const refused: InputError[] = [];
  const visitedDirs = new Set<string>([realRoot]);

  const visit = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).filter((name) => !name.startsWith(".")).sort();
    for (const name of names) {
      const path = join(dir, name);
      const relativePath = displayPath(root, path);
      const info = await lstat(path);
      let target = path;
      if (info.isSymbolicLink()) {
        const resolved = await realpath(path).catch((error: NodeJS.ErrnoException) =>
          error.code === "ELOOP" ? undefined : null,
        );
        if (typeof resolved !== "string" || !isInside(realRoot, resolved)) {
          const what =
            resolved === undefined
              ? "symbolic link loops back on itself"
              : `symbolic link points outside the library (${resolved ?? "missing"})`;
          refused.push(
            new InputError("LINK_OUTSIDE", what, {
              file: relativePath,
              field: "path",
              hint: "copy the file into the library instead of linking to it",
            }),
          );
          continue;
        }
        target = resolved;
      }
      const real = await stat(target);
      if (real.isDirectory()) {
        const key = await realpath(target);
        if (visitedDirs.has(key)) continue;
        visitedDirs.add(key);
        await visit(path);
      } else if (real.isFile()) {
        files.push({ path, relativePath, size: real.size, mtimeMs: real.mtimeMs, ino: real.ino });
      } else {
        // Opening a FIFO would block the scan forever, and a device is never a track.
        refused.push(
          new InputError("NOT_A_FILE", "is not a regular file (a FIFO, socket or device); skipped", {
            file: relativePath,
            field: "path",
            hint: "put the audio itself in the library",
          }),
        );
      }
    }
  };
  await visit(root);
  return { files, refused };
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** A path inside the library as every report names it: relative, "/"-separated; others unchanged. */
export function displayPath(root: string, path: string): string {
  const inside = relative(root, path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside.split(sep).join("/");
}
