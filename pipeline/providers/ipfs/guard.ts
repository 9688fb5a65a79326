import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { IntegrityError } from "../../errors.js";
import type { StoredObject } from "../types.js";

/*
 * The lying-provider guard: nothing a provider hands back is trusted. A CID it reports must be the one
 * we computed, a block it serves must hash to its CID, and bytes it streams must hash to our SHA-256.
 */

function parse(provider: string, cid: string | CID, field: string): CID {
  if (typeof cid !== "string") return cid;
  try {
    return CID.parse(cid);
  } catch (cause) {
    throw new IntegrityError("CID_MISMATCH", `${provider} returned "${cid}", which is not a CID`, {
      field,
      cause,
    });
  }
}

/** CIDv0 and its CIDv1 dag-pb form name the same DAG; any other difference is a different DAG. */
export function assertSameCid(provider: string, expected: string | CID, returned: string | CID): void {
  const want = parse(provider, expected, "expected CID").toV1();
  const got = parse(provider, returned, "returned CID").toV1();
  if (!want.equals(got)) {
    throw new IntegrityError("CID_MISMATCH", `${provider} returned CID ${got} but we computed ${want}`, {
      field: "cid",
      hint: "the provider stored different bytes or chunked them differently; the object is not trusted",
    });
  }
}

/** A block served for `cid` must hash to the multihash inside `cid` (sha2-256, the only hash we write). */
export async function assertBlockMatches(provider: string, cid: CID, bytes: Uint8Array): Promise<void> {
  if (cid.multihash.code !== sha256.code) {
    throw new IntegrityError("BLOCK_MISMATCH", `${provider} served block ${cid} with an unsupported hash`, {
      field: "cid",
    });
  }
  const digest = await sha256.digest(bytes);
  if (!equalBytes(digest.digest, cid.multihash.digest)) {
    throw new IntegrityError(
      "BLOCK_MISMATCH",
      `${provider} served bytes for block ${cid} that hash to something else`,
      {
        field: "cid",
        hint: "the provider or gateway altered the content; the object is not trusted",
      },
    );
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Streams `stream` through SHA-256 and checks size and hash against what we recorded for `object`. */
export async function assertStreamMatches(
  provider: string,
  object: Pick<StoredObject, "cid" | "sha256" | "size">,
  stream: Readable,
): Promise<void> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Uint8Array);
    size += (chunk as Uint8Array).length;
  }
  const got = hash.digest("hex");
  if (size !== object.size || got !== object.sha256) {
    throw new IntegrityError(
      "CONTENT_MISMATCH",
      `${provider} served ${size} bytes with SHA-256 ${got} for ${object.cid}; we stored ${object.size} bytes with SHA-256 ${object.sha256}`,
      { field: "sha256", hint: "the provider altered the content; the object is not trusted" },
    );
  }
}
