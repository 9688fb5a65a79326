import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import type { IPicture } from "music-metadata";
import { z } from "zod";
import { addressBytes, addressFile } from "../content/address.js";
import { type CidProfile, ContentAddressSchema } from "../content/types.js";
import { InputError } from "../errors.js";
import { confine } from "../library/confine.js";
import { displayPath } from "../library/walk.js";
import {
  decodeName,
  dirnamePath,
  type FilePath,
  FilePathSchema,
  fsPath,
  joinPath,
  showPath,
} from "../util/file-name.js";
import { type ArtworkLimits, checkImage } from "./image-check.js";

/** Where a track's artwork came from, in the order they are tried. */
export const ArtworkSourceSchema = z.enum(["metadata.json", "artwork-dir", "cover-file", "embedded"]);
export type ArtworkSource = z.infer<typeof ArtworkSourceSchema>;

export const ArtworkSchema = z.object({
  /** The image file (resolved, confined to the library); embedded pictures are extracted to their own file first. */
  path: FilePathSchema,
  source: ArtworkSourceSchema,
  mimeType: z.enum(["image/jpeg", "image/png", "image/webp", "image/gif"]),
  extension: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  content: ContentAddressSchema,
});
export type Artwork = z.infer<typeof ArtworkSchema>;

export interface ArtworkQuery {
  /** The track, relative to the library: the file every problem names. */
  file: string;
  audioPath: FilePath;
  /** The track's file name without extension: the name matched in the artwork directory. */
  stem: string;
  /**
   * `artwork` from the track's metadata.json entry, the metadata.json it came from, and how problems name
   * the entry (e.g. `metadata.json: song.artwork`).
   */
  override?: { artwork: string; metadataFile: string; entry: string };
  picture?: IPicture;
}

export interface ArtworkContext {
  /** The library root: image paths inside it are reported relative to it. */
  root: string;
  artworkDir?: string;
  /** Folders given explicitly for artwork besides the library and --artwork-dir (an API caller's image). */
  allowedDirs?: string[];
  /** Where embedded pictures are extracted, named by their SHA-256 so a shared cover is written once. */
  extractDir: string;
  profile: CidProfile;
  limits: ArtworkLimits;
}

export interface ArtworkResult {
  artwork?: Artwork;
  /** Set when the artwork metadata.json asks for is unusable: the track must not be minted without it. */
  error?: InputError;
  warnings: InputError[];
}

/** A file candidate carries who named it and where it may lead (see `confine`). */
type Candidate =
  | { source: ArtworkSource; path: FilePath; entry: string; roots: FilePath[] }
  | { source: "embedded"; picture: IPicture };

/**
 * Finds a track's artwork in order: its metadata.json entry, the same name in the artwork directory,
 * cover.* or folder.* beside the audio, then the embedded picture. Unusable candidates are reported
 * and skipped, except an explicit metadata.json choice, which fails the track.
 */
export class ArtworkFinder {
  readonly #coversByDir = new Map<string, Promise<Buffer[]>>();
  #byStem?: Promise<Map<string, Buffer[]>>;

  constructor(readonly context: ArtworkContext) {}

  async find(query: ArtworkQuery): Promise<ArtworkResult> {
    const warnings: InputError[] = [];
    for (const candidate of await this.#candidates(query)) {
      try {
        const artwork = await this.#accept(candidate, query.file);
        if (artwork.width !== artwork.height) {
          warnings.push(
            new InputError(
              "ARTWORK_NOT_SQUARE",
              `artwork is ${artwork.width}×${artwork.height}, not square`,
              {
                file: query.file,
                field: "artwork",
                hint: "marketplaces crop to a square; supply square art (e.g. 3000×3000)",
              },
            ),
          );
        }
        return { artwork, warnings };
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        if (candidate.source === "metadata.json") return { error, warnings };
        warnings.push(error);
      }
    }
    warnings.push(
      new InputError("NO_ARTWORK", "no artwork found", {
        file: query.file,
        field: "artwork",
        hint: "embed a cover, put cover.jpg beside the track, or set artwork in metadata.json",
      }),
    );
    return { warnings };
  }

  async #candidates(query: ArtworkQuery): Promise<Candidate[]> {
    const { root, artworkDir, allowedDirs = [] } = this.context;
    const given = [root, ...(artworkDir === undefined ? [] : [artworkDir]), ...allowedDirs];
    const candidates: Candidate[] = [];
    if (query.override) {
      const { artwork, metadataFile, entry } = query.override;
      const base = dirname(metadataFile);
      const path = resolve(base, artwork);
      candidates.push({
        source: "metadata.json",
        path,
        entry: `${entry} = ${JSON.stringify(artwork)}`,
        roots: [...given, base],
      });
    }
    if (artworkDir !== undefined) {
      for (const name of (await this.#artworkDirByStem(artworkDir)).get(query.stem) ?? []) {
        const path = joinPath(artworkDir, fsPath(name));
        candidates.push({
          source: "artwork-dir",
          path,
          entry: `--artwork-dir: ${showPath(name)}`,
          roots: given,
        });
      }
    }
    const beside = dirnamePath(query.audioPath);
    for (const name of await this.#covers(beside)) {
      const path = joinPath(beside, fsPath(name));
      candidates.push({ source: "cover-file", path, entry: `cover file ${showPath(name)}`, roots: given });
    }
    if (query.picture) candidates.push({ source: "embedded", picture: query.picture });
    return candidates;
  }

  async #accept(candidate: Candidate, file: string): Promise<Artwork> {
    const { limits, profile, extractDir } = this.context;
    if ("picture" in candidate) {
      const facts = await checkImage({ data: candidate.picture.data }, file, "embedded picture", limits);
      const content = await addressBytes(candidate.picture.data, { profile });
      const path = join(extractDir, `${content.sha256}${facts.extension}`);
      await mkdir(extractDir, { recursive: true });
      await writeFile(path, candidate.picture.data);
      return { path, source: "embedded", ...facts, content };
    }
    // Refused before anything opens it: a path leading out of the library is never read.
    const path = await confine(candidate.path, {
      file,
      field: "artwork",
      entry: candidate.entry,
      roots: candidate.roots,
    });
    const shown = typeof path === "string" ? displayPath(this.context.root, path) : showPath(path);
    const facts = await checkImage({ path }, file, shown, limits).catch((error: NodeJS.ErrnoException) => {
      if (error instanceof InputError) throw error;
      throw new InputError("ARTWORK", `${shown}: cannot be read (${error.code ?? error.message})`, {
        file,
        field: "artwork",
        hint: "make the image readable, or name another one",
      });
    });
    return { path, source: candidate.source, ...facts, content: await addressFile(path, { profile }) };
  }

  /**
   * The cover.* and folder.* files of a folder, cover first whatever the case of the name. Only those are
   * kept: a label's folder of 100k tracks is listed once, and its names are not held for the whole scan.
   */
  #covers(dir: FilePath): Promise<Buffer[]> {
    const key = typeof dir === "string" ? dir : dir.toString("base64");
    let covers = this.#coversByDir.get(key);
    if (covers === undefined) {
      covers = listFiles(dir).then((names) =>
        names
          .filter((name) => /^(cover|folder)\.[^.]+$/i.test(name.toString("latin1")))
          .sort(
            (a, b) =>
              Number(/^folder/i.test(a.toString("latin1"))) - Number(/^folder/i.test(b.toString("latin1"))),
          ),
      );
      this.#coversByDir.set(key, covers);
    }
    return covers;
  }

  /** The artwork directory's files by name without extension: one lookup a track, not a pass over the folder. */
  #artworkDirByStem(dir: string): Promise<Map<string, Buffer[]>> {
    this.#byStem ??= listFiles(dir).then((names) => {
      const byStem = new Map<string, Buffer[]>();
      for (const name of names) {
        const text = decodeName(name).text;
        const stem = text.slice(0, text.length - extname(text).length);
        const same = byStem.get(stem);
        if (same === undefined) byStem.set(stem, [name]);
        else same.push(name);
      }
      return byStem;
    });
    return this.#byStem;
  }
}

/** A folder's visible entries that are not directories, as the bytes of their names, in byte order. */
async function listFiles(dir: FilePath): Promise<Buffer[]> {
  // Directories are never artwork, even one named "folder.mp3".
  const entries = await readdir(dir, { withFileTypes: true, encoding: "buffer" }).catch(() => []);
  return entries
    .filter((entry) => entry.name[0] !== 0x2e && !entry.isDirectory())
    .map((entry) => entry.name)
    .sort(Buffer.compare);
}
