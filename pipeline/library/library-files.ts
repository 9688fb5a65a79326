import {
  type FilePath,
  fsPath,
  joinComponents,
  joinPath,
  type LibraryName,
  libraryName,
  splitComponents,
} from "../util/file-name.js";

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

/** What a file's stat says that a scan needs. */
export type FileStats = Pick<LibraryFile, "size" | "mtimeMs" | "ino">;

/**
 * A library's files, packed, in library order. A scan holds every audio file from the walk until the
 * library is done, and a LibraryFile object with its path and name strings takes ~0.35 KB of heap: at 100k
 * files that was ~35 MB, and V8 sized the run's heap for it (docs/LABELS.md). Packed, a file is its
 * relative path's bytes (one one-byte string) and three numbers; `at` builds its LibraryFile when a caller
 * needs it, and the caller drops it when done.
 */
export class LibraryFiles {
  readonly #root: string;
  /** Each file's path below the root: its components' exact bytes joined by "/", as a latin1 string. */
  readonly #relative: string[] = [];
  readonly #size: number[] = [];
  readonly #mtimeMs: number[] = [];
  readonly #ino: number[] = [];
  /** The components that are NFD lookalikes (see libraryName), for the rare file that has one. */
  readonly #lookalike = new Map<number, boolean[]>();

  /** `root`: the absolute path the files' paths start with. */
  constructor(root: string) {
    this.#root = root;
  }

  get length(): number {
    return this.#relative.length;
  }

  /** Adds the file whose path below the root is `components`, after the files added before. */
  add(components: Buffer[], lookalike: boolean[], stats: FileStats): void {
    this.#push(
      joinComponents(components).toString("latin1"),
      lookalike.some(Boolean) ? lookalike : undefined,
      stats,
    );
  }

  /** The files at `places`, in that order. */
  subset(places: number[]): LibraryFiles {
    const files = new LibraryFiles(this.#root);
    for (const index of places) {
      files.#push(this.#relative[index]!, this.#lookalike.get(index), {
        size: this.#size[index]!,
        mtimeMs: this.#mtimeMs[index]!,
        ino: this.#ino[index]!,
      });
    }
    return files;
  }

  sizeAt(index: number): number {
    return this.#size[index]!;
  }

  /** The bytes of every file together. */
  totalSize(): number {
    let total = 0;
    for (const size of this.#size) total += size;
    return total;
  }

  at(index: number): LibraryFile {
    const bytes = Buffer.from(this.#relative[index]!, "latin1");
    const name = libraryName(splitComponents(bytes), this.#lookalike.get(index));
    return {
      path: joinPath(this.#root, fsPath(bytes)),
      relativePath: name.display,
      name,
      size: this.#size[index]!,
      mtimeMs: this.#mtimeMs[index]!,
      ino: this.#ino[index]!,
    };
  }

  *[Symbol.iterator](): Iterator<LibraryFile> {
    for (let index = 0; index < this.length; index++) yield this.at(index);
  }

  #push(relative: string, lookalike: boolean[] | undefined, { size, mtimeMs, ino }: FileStats): void {
    if (lookalike !== undefined) this.#lookalike.set(this.length, lookalike);
    this.#relative.push(relative);
    this.#size.push(size);
    this.#mtimeMs.push(mtimeMs);
    this.#ino.push(ino);
  }
}
