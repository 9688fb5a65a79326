import { create, type KuboRPCClient } from "kubo-rpc-client";
import type { CID } from "multiformats/cid";
import { ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const KUBO = "kubo";

/**
 * A Kubo node over its RPC API (the user's own node, or IPFS Cluster's Kubo-compatible proxy): imports
 * our CAR with `dag import`, which pins the root, so Kubo never re-chunks the file its own way.
 */
export class KuboProvider extends RemoteIpfsProvider {
  readonly name = KUBO;
  readonly #client: KuboRPCClient;

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions & { url: string }) {
    super(node, options);
    this.#client = create({ url: options.url });
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    for await (const { root } of this.#client.dag.import([this.carStream(cid, request.signal)], {
      pinRoots: true,
      signal: request.signal,
    })) {
      if (root.pinErrorMsg) {
        throw new ProviderError("PIN_FAILED", `dag import could not pin ${root.cid}: ${root.pinErrorMsg}`, {
          provider: this.name,
        });
      }
      return root.cid.toString();
    }
    throw new ProviderError("NO_ROOT", `dag import of ${cid} reported no root`, { provider: this.name });
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    try {
      for await (const pin of this.#client.pin.ls({ paths: [cid], signal })) {
        if (pin.type === "recursive") return true;
      }
      return false;
    } catch (error) {
      // Kubo answers "not pinned" with an error rather than an empty list.
      if (/not pinned/i.test((error as Error)?.message ?? "")) return false;
      throw error;
    }
  }
}
