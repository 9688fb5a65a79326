import { verifyCid } from "../content/verify.js";
import { IntegrityError } from "../errors.js";
import { assertSameCid } from "../providers/ipfs/guard.js";
import type { StoredObject } from "../providers/types.js";
import type { StoreTarget } from "./store.js";

export interface VerifyInput {
  sha256: string;
  file: string;
  /** Every object the track needs, as recorded when stored, with the provider that holds it. */
  objects: Array<{ target: StoreTarget; object: StoredObject; expectedCid: string; expectedSha256: string }>;
  metadata: { cid: string; bytes: Uint8Array };
}

/**
 * The last gate before the chain: nothing a provider said is taken on trust. Every recorded object must
 * carry the CID and SHA-256 we computed (checked with multiformats), and the metadata is read back from
 * the embedded node, which serves it, and must be byte-identical to what we built. Remote backends read
 * every object back and hash it before it is recorded (`RemoteIpfsProvider.put`), so their records are
 * checked here without another download that an outage of a backup would turn into a failed track.
 */
export async function verifyTrack(input: VerifyInput, signal?: AbortSignal): Promise<void> {
  for (const { target, object, expectedCid, expectedSha256 } of input.objects) {
    if (object.sha256 !== expectedSha256) {
      throw new IntegrityError(
        "SHA_MISMATCH",
        `${target.provider.name} recorded SHA-256 ${object.sha256}, we computed ${expectedSha256}`,
        {
          file: input.file,
          field: `${object.kind}.sha256`,
        },
      );
    }
    assertSameCid(target.provider.name, expectedCid, object.cid);
    if (object.kind === "metadata" && target.role === "local-ipfs") {
      await verifyCid(input.metadata.cid, await target.provider.get(object, signal), { file: input.file });
    }
  }
}
