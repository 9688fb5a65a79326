import { createWriteStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CarWriter } from "@ipld/car/writer";
import * as dagPb from "@ipld/dag-pb";
import type { ImportCandidate, WritableStorage } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import { InputError } from "../errors.js";
import { importRoot } from "./import.js";
import { PROFILES } from "./profiles.js";
import { readFileChunks } from "./read.js";
import { sha256Multihash } from "./sha256.js";
import { type CidProfile, DEFAULT_CID_PROFILE } from "./types.js";

export type CarSource = { path: string } | { bytes: Uint8Array };
/** One file of a multi-file CAR; its name in the wrapping directory defaults to the path's basename. */
export type CarEntry = { path: string; name?: string } | { bytes: Uint8Array; name: string };

export interface PackCarOptions {
  profile?: CidProfile;
  signal?: AbortSignal;
}

/**
 * Packs one file (root: its CID, the same as `addressFile` gives) or several files (root: a directory
 * holding them by name) into a CARv1 streamed to `outPath`. The root is only known at the end, so the
 * header is written with a placeholder of the same length and patched in place; the file appears at
 * `outPath` only once complete.
 */
export async function packCar(
  input: CarSource | CarEntry[],
  outPath: string,
  options: PackCarOptions = {},
): Promise<{ root: CID; bytes: number }> {
  const profile = options.profile ?? DEFAULT_CID_PROFILE;
  const partial = `${outPath}.partial`;
  const { writer, out } = CarWriter.create([placeholderRoot(profile)]);
  const written = pipeline(Readable.from(out), createWriteStream(partial));
  const stored = new Set<string>();
  // Identical chunks (silence, padding) give identical blocks; a CAR needs each block once.
  const blockstore: WritableStorage = {
    put: async (cid, bytes) => {
      // The importer always hands over whole blocks; the interface also allows streams.
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`block ${cid} was not given as bytes`);
      const key = cid.toString();
      if (!stored.has(key)) {
        stored.add(key);
        await writer.put({ cid, bytes });
      }
      return cid;
    },
  };
  try {
    const root = Array.isArray(input)
      ? await importRoot(directoryCandidates(input, options.signal), blockstore, profile, {
          wrapWithDirectory: true,
        })
      : await importRoot([{ content: sourceChunks(input, options.signal) }], blockstore, profile);
    await writer.close();
    await written;
    const handle = await open(partial, "r+");
    try {
      await CarWriter.updateRootsInFile(handle, [root]);
    } finally {
      await handle.close();
    }
    const { size } = await stat(partial);
    await rename(partial, outPath);
    return { root, bytes: size };
  } catch (error) {
    await writer.close().catch(() => {});
    await written.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}

/** A CID of the same byte length as the final root, which has the profile's CID version. */
function placeholderRoot(profile: CidProfile): CID {
  const digest = sha256Multihash(new Uint8Array(0));
  return PROFILES[profile].cidVersion === 0 ? CID.createV0(digest) : CID.createV1(dagPb.code, digest);
}

function sourceChunks(
  source: CarSource,
  signal?: AbortSignal,
): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  return "path" in source ? readFileChunks(source.path, signal) : [source.bytes];
}

function directoryCandidates(entries: CarEntry[], signal?: AbortSignal): ImportCandidate[] {
  const names = new Set<string>();
  return entries.map((entry) => {
    const name = entry.name ?? ("path" in entry ? basename(entry.path) : "");
    if (name === "" || name.includes("/") || names.has(name)) {
      throw new InputError("CAR_ENTRY", `entry name "${name}" is empty, has a "/" or is used twice`, {
        file: "path" in entry ? entry.path : undefined,
        field: "name",
        hint: "give every file of a CAR a distinct plain name",
      });
    }
    names.add(name);
    return { path: name, content: sourceChunks(entry, signal) };
  });
}
