import { ProviderError } from "../errors.js";
import { gatewayUrl } from "../providers/ipfs/gateway-url.js";
import type { StorageProvider, StoredObject } from "../providers/types.js";

/** A metadata document is one raw block (`metadataCid`), so anything larger is not ours. */
export const MAX_METADATA_BYTES = 1024 * 1024;

/** Somewhere a metadata document can be fetched by CID; `undefined` means it answered "not here". */
export interface MetadataSource {
  readonly name: string;
  fetch(cid: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}

async function readLimited(chunks: AsyncIterable<Uint8Array>, source: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > MAX_METADATA_BYTES) {
      throw new ProviderError(
        "TOO_LARGE",
        `served more than ${MAX_METADATA_BYTES} bytes for a metadata CID`,
        {
          provider: source,
          hint: "a metadata document is a single block; this is not one",
        },
      );
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/**
 * A metadata document on an IPFS provider, known only by its CID (which names the bytes): enough to ask
 * for it, and a copy read this way is checked against the CID.
 */
export function metadataRecord(provider: StorageProvider, cid: string): StoredObject {
  return { provider: provider.name, kind: "metadata", locator: cid, cid, sha256: "", size: 0, reused: true };
}

/** An IPFS provider of the storage set (the local node, or a remote backend read through its gateway). */
export function providerSource(provider: StorageProvider): MetadataSource {
  return {
    name: provider.name,
    async fetch(cid, signal) {
      const object = metadataRecord(provider, cid);
      if (!(await provider.has(object))) return undefined;
      return readLimited(await provider.get(object, signal), provider.name);
    },
  };
}

/** A trustless HTTP gateway asked for the raw block, which the caller then checks against its CID. */
export function gatewaySource(gateway: string): MetadataSource {
  const name = `gateway ${new URL(gateway).host}`;
  return {
    name,
    async fetch(cid, signal) {
      const answer = await fetch(`${gatewayUrl(cid, gateway)}?format=raw`, {
        headers: { accept: "application/vnd.ipld.raw" },
        signal,
      });
      if (answer.status === 404) return undefined;
      if (!answer.ok || answer.body === null) {
        throw new ProviderError("HTTP", `answered HTTP ${answer.status} for ${cid}`, {
          provider: name,
          status: answer.status,
        });
      }
      return readLimited(answer.body, name);
    },
  };
}
