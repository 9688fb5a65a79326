import { CarBlockIterator } from "@ipld/car/iterator";
import * as dagPb from "@ipld/dag-pb";
import { equals } from "multiformats/bytes";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { DcmxError, IntegrityError } from "../errors.js";
import { acceptCid } from "./accepted-cid.js";
import { addressFileWithRoot, addressStream } from "./address.js";
import { readFileChunks } from "./read.js";
import { SHA256_CODE, sha256Multihash } from "./sha256.js";
import type { ContentAddress } from "./types.js";

export type VerifySource = Uint8Array | AsyncIterable<Uint8Array> | { path: string };

export interface VerifyOptions {
  /** Names the file in error messages (defaults to the path when the source is one). */
  file?: string;
}

/**
 * Recomputes the CID of some bytes under the profile the expected CID implies (CIDv0: kubo-v0;
 * CIDv1: unixfs-v1-2025) and throws IntegrityError naming both CIDs when they differ. Returns the bytes'
 * address from the same pass, so a caller that also checks size and SHA-256 reads them only once.
 */
export async function verifyCid(
  expected: string | CID,
  source: VerifySource,
  options: VerifyOptions = {},
): Promise<ContentAddress> {
  const file = options.file ?? pathOf(source);
  const accepted = acceptCid(expected, file);
  const { address, root } = isPath(source)
    ? await addressFileWithRoot(source.path, accepted.profile)
    : await addressStream(source instanceof Uint8Array ? [source] : source, accepted.profile);
  // A raw CID names one block, so its digest is the SHA-256 of all the bytes, whatever their size.
  const actual =
    accepted.codec === "raw"
      ? CID.createV1(raw.code, Digest.create(SHA256_CODE, Buffer.from(address.sha256, "hex")))
      : root;
  if (!actual.equals(accepted.cid)) {
    throw new IntegrityError(
      "CID_MISMATCH",
      `expected CID ${accepted.cid} but the ${address.size} bytes give ${actual} (profile ${accepted.profile})`,
      { file, field: "cid", hint: "the bytes changed or were added under another import profile" },
    );
  }
  return address;
}

/**
 * Streams a CAR and checks that its only root is `expectedRoot`, that every block hashes to its CID,
 * and that every block the root's DAG links to is present: a CAR that passes holds exactly the
 * content the root names.
 */
export async function verifyCar(
  car: AsyncIterable<Uint8Array> | { path: string },
  expectedRoot: string | CID,
  options: VerifyOptions = {},
): Promise<void> {
  const file = options.file ?? pathOf(car);
  const root = acceptCid(expectedRoot, file).cid;
  const fail = (code: string, message: string, cause?: unknown) =>
    new IntegrityError(code, message, { file, field: "car", cause });

  let blocks: CarBlockIterator;
  try {
    blocks = await CarBlockIterator.fromIterable(isPath(car) ? readFileChunks(car.path) : car);
  } catch (error) {
    if (error instanceof DcmxError) throw error;
    throw fail("CAR_INVALID", `not a readable CAR (${(error as Error).message})`, error);
  }
  const roots = await blocks.getRoots();
  if (roots.length !== 1 || !roots[0]!.equals(root)) {
    throw fail("CAR_ROOT", `CAR root is ${roots.join(", ") || "missing"}, expected ${root}`);
  }

  const seen = new Set<string>();
  const linked = new Set<string>([key(root)]);
  try {
    for await (const block of blocks) {
      const cid = acceptCid(block.cid, file).cid;
      const digest = sha256Multihash(block.bytes);
      if (!equals(digest.bytes, cid.multihash.bytes)) {
        const actual = CID.create(cid.version, cid.code, digest);
        throw fail("CAR_BLOCK", `block ${cid} of the CAR for ${root} hashes to ${actual}: it was altered`);
      }
      seen.add(key(cid));
      if (cid.code === dagPb.code)
        for (const link of dagPb.decode(block.bytes).Links) linked.add(key(link.Hash));
    }
  } catch (error) {
    if (error instanceof DcmxError) throw error;
    throw fail("CAR_INVALID", `CAR for ${root} is corrupt (${(error as Error).message})`, error);
  }
  const missing = [...linked].filter((cid) => !seen.has(cid));
  if (missing.length > 0) {
    throw fail(
      "CAR_INCOMPLETE",
      `CAR for ${root} lacks ${missing.length} block(s) of its DAG, e.g. ${missing[0]}`,
    );
  }
}

/** v0 and v1 spellings of the same dag-pb block are one block. */
function key(cid: CID): string {
  return cid.toV1().toString();
}

function pathOf(source: VerifySource): string | undefined {
  return isPath(source) ? source.path : undefined;
}

function isPath(source: VerifySource): source is { path: string } {
  // fs.ReadStream has a `path` too; anything iterable is read as a stream.
  return !(source instanceof Uint8Array) && !(Symbol.asyncIterator in source);
}
