import type { Dirent } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { InputError } from "../errors.js";
import { boundedEach } from "../util/bounded-each.js";
import { type FilePath, fsPath, joinPath, libraryName, showPath } from "../util/file-name.js";
import { isInside } from "./confine.js";
import { type FileStats, LibraryFiles } from "./library-files.js";

export interface WalkResult {
  files: LibraryFiles;
  /** Links that point outside the library (or nowhere) and special files: refused, never opened. */
  refused: InputError[];
}

const DOT = 0x2e;
/** Stat calls in flight while a folder is listed: each is small, and the main thread's share is what counts. */
const STAT_CONCURRENCY = 32;

/** What a directory entry turned out to be. */
type Resolved =
  | { kind: "file"; stats: FileStats }
  | { kind: "directory"; target: FilePath }
  | { kind: "refused"; error: InputError };
/** An entry is kept with its path and its name's components until the folder's entries are taken in order. */
type Entry = Resolved & { path: FilePath; inside: Buffer[]; lookalike: boolean[] };

/**
 * Every regular file under `root`, in a deterministic order (names compared by their bytes, directories
 * depth-first), skipping hidden names. Names are read and opened as bytes: a name that is not UTF-8 (an
 * old Latin-1 or Shift-JIS archive) is a file like any other. Symbolic links are followed only while they
 * stay inside the library, so a scan can never publish a file the artist did not put there; a directory
 * reached twice through links is walked once.
 */
export async function walkLibrary(root: string): Promise<WalkResult> {
  const realRoot = await realpath(resolve(root), { encoding: "buffer" });
  const files = new LibraryFiles(resolve(root));
  const refused: InputError[] = [];
  const visitedDirs = new Set<string>([realRoot.toString("base64")]);

  /** What one directory entry is: its stat and type are looked up for many entries at once (see below). */
  const resolveEntry = async (
    path: FilePath,
    entry: Dirent<Buffer>,
    inside: Buffer[],
    lookalike: boolean[],
  ): Promise<Resolved> => {
    let target = path;
    // The entry's type comes with the listing: only a link (or a file system that does not say) costs an lstat.
    const link =
      entry.isSymbolicLink() ||
      (!entry.isFile() && !entry.isDirectory() && (await lstat(path)).isSymbolicLink());
    if (link) {
      const resolved = await realpath(path, { encoding: "buffer" }).catch((error: NodeJS.ErrnoException) =>
        error.code === "ELOOP" ? undefined : null,
      );
      if (!resolved || !isInside(realRoot, resolved)) {
        const what =
          resolved === undefined
            ? "symbolic link loops back on itself"
            : `symbolic link points outside the library (${resolved ? showPath(resolved) : "missing"})`;
        return {
          kind: "refused",
          error: new InputError("LINK_OUTSIDE", what, {
            file: libraryName(inside, lookalike).display,
            field: "path",
            hint: "copy the file into the library instead of linking to it",
          }),
        };
      }
      target = fsPath(resolved);
    }
    if (!link && entry.isDirectory()) return { kind: "directory", target };
    const real = await stat(target);
    if (real.isDirectory()) return { kind: "directory", target };
    if (real.isFile()) {
      const { size, mtimeMs, ino } = real;
      return { kind: "file", stats: { size, mtimeMs, ino } };
    }
    // Opening a FIFO would block the scan forever, and a device is never a track.
    return {
      kind: "refused",
      error: new InputError("NOT_A_FILE", "is not a regular file (a FIFO, socket or device); skipped", {
        file: libraryName(inside, lookalike).display,
        field: "path",
        hint: "put the audio itself in the library",
      }),
    };
  };

  const visit = async (dir: FilePath, components: Buffer[], lookalikes: boolean[]): Promise<void> => {
    const entries = (await readdir(dir, { encoding: "buffer", withFileTypes: true }))
      .filter((entry) => entry.name[0] !== DOT)
      .sort((a, b) => Buffer.compare(a.name, b.name));
    // The folder's names by bytes, for telling a macOS copy: built once a name needs it, as most never do.
    let here: Set<string> | undefined;
    const names = () => (here ??= new Set(entries.map((entry) => entry.name.toString("base64"))));
    // A folder of 100k tracks is 100k stat calls: they run STAT_CONCURRENCY at a time, and the entries
    // are then taken in order, so the list stays in library order.
    const resolved: Entry[] = new Array(entries.length);
    await boundedEach(entries.length, STAT_CONCURRENCY, async (index) => {
      const { name: bytes } = entries[index]!;
      const inside = [...components, bytes];
      const lookalike = [...lookalikes, isNfdTwin(bytes, names)];
      const path = joinPath(dir, fsPath(bytes));
      const found = await resolveEntry(path, entries[index]!, inside, lookalike);
      resolved[index] = { ...found, path, inside, lookalike };
    });
    for (const found of resolved) {
      if (found.kind === "file") files.add(found.inside, found.lookalike, found.stats);
      else if (found.kind === "refused") refused.push(found.error);
      else {
        const key = (await realpath(found.target, { encoding: "buffer" })).toString("base64");
        if (visitedDirs.has(key)) continue;
        visitedDirs.add(key);
        await visit(found.path, found.inside, found.lookalike);
      }
    }
  };
  await visit(resolve(root), [], []);
  return { files, refused };
}

/** A macOS copy: the name is UTF-8 in NFD and its NFC spelling (other bytes) is in the same folder. */
function isNfdTwin(name: Buffer, siblings: () => Set<string>): boolean {
  const text = fsPath(name);
  if (typeof text !== "string") return false;
  const nfc = text.normalize("NFC");
  return nfc !== text && siblings().has(Buffer.from(nfc, "utf8").toString("base64"));
}

/** A path inside the library as every report names it: relative, "/"-separated; others unchanged. */
export function displayPath(root: string, path: string): string {
  const inside = relative(root, path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside.split(sep).join("/");
}
