import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { InputError } from "../errors.js";
import {
  type FilePath,
  fsPath,
  joinPath,
  type LibraryName,
  libraryName,
  showPath,
} from "../util/file-name.js";
import { isInside } from "./confine.js";

export interface LibraryFile {
  /** What every read opens: the exact bytes the directory holds (see FilePath). */
  path: FilePath;
  /** Relative to the library root, "/"-separated, readable: the name every report uses (`name.display`). */
  relativePath: string;
  name: LibraryName;
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

const DOT = 0x2e;

/**
 * Every regular file under `root`, in a deterministic order (names compared by their bytes, directories
 * depth-first), skipping hidden names. Names are read and opened as bytes: a name that is not UTF-8 (an
 * old Latin-1 or Shift-JIS archive) is a file like any other. Symbolic links are followed only while they
 * stay inside the library, so a scan can never publish a file the artist did not put there; a directory
 * reached twice through links is walked once.
 */
export async function walkLibrary(root: string): Promise<WalkResult> {
  const realRoot = await realpath(resolve(root), { encoding: "buffer" });
  const files: LibraryFile[] = [];
  const refused: InputError[] = [];
  const visitedDirs = new Set<string>([realRoot.toString("base64")]);

  const visit = async (dir: FilePath, components: Buffer[], lookalikes: boolean[]): Promise<void> => {
    const names = (await readdir(dir, { encoding: "buffer" }))
      .filter((name) => name[0] !== DOT)
      .sort(Buffer.compare);
    const here = new Set(names.map((name) => name.toString("base64")));
    for (const nameBytes of names) {
      const path = joinPath(dir, fsPath(nameBytes));
      const inside = [...components, nameBytes];
      const lookalike = [...lookalikes, isNfdTwin(nameBytes, here)];
      const name = libraryName(inside, lookalike);
      const info = await lstat(path);
      let target = path;
      if (info.isSymbolicLink()) {
        const resolved = await realpath(path, { encoding: "buffer" }).catch((error: NodeJS.ErrnoException) =>
          error.code === "ELOOP" ? undefined : null,
        );
        if (!resolved || !isInside(realRoot, resolved)) {
          const what =
            resolved === undefined
              ? "symbolic link loops back on itself"
              : `symbolic link points outside the library (${resolved ? showPath(resolved) : "missing"})`;
          refused.push(
            new InputError("LINK_OUTSIDE", what, {
              file: name.display,
              field: "path",
              hint: "copy the file into the library instead of linking to it",
            }),
          );
          continue;
        }
        target = fsPath(resolved);
      }
      const real = await stat(target);
      if (real.isDirectory()) {
        const key = (await realpath(target, { encoding: "buffer" })).toString("base64");
        if (visitedDirs.has(key)) continue;
        visitedDirs.add(key);
        await visit(path, inside, lookalike);
      } else if (real.isFile()) {
        files.push({
          path,
          relativePath: name.display,
          name,
          size: real.size,
          mtimeMs: real.mtimeMs,
          ino: real.ino,
        });
      } else {
        // Opening a FIFO would block the scan forever, and a device is never a track.
        refused.push(
          new InputError("NOT_A_FILE", "is not a regular file (a FIFO, socket or device); skipped", {
            file: name.display,
            field: "path",
            hint: "put the audio itself in the library",
          }),
        );
      }
    }
  };
  await visit(resolve(root), [], []);
  return { files, refused };
}

/** A macOS copy: the name is UTF-8 in NFD and its NFC spelling (other bytes) is in the same folder. */
function isNfdTwin(name: Buffer, siblings: Set<string>): boolean {
  const text = fsPath(name);
  if (typeof text !== "string") return false;
  const nfc = text.normalize("NFC");
  return nfc !== text && siblings.has(Buffer.from(nfc, "utf8").toString("base64"));
}

/** A path inside the library as every report names it: relative, "/"-separated; others unchanged. */
export function displayPath(root: string, path: string): string {
  const inside = relative(root, path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside.split(sep).join("/");
}
