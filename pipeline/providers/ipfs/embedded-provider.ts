import type { Readable } from "node:stream";
import type { ProviderStats, PutRequest, StorageProvider, StoredObject } from "../types.js";
import { gatewayUrl } from "./gateway-url.js";
import { EMBEDDED_NODE, type EmbeddedIpfsNode } from "./helia-node.js";
import { storedObject } from "./stored-object.js";

/** The embedded node as a `StorageProvider`: the default IPFS backend, which needs no account. */
export class EmbeddedIpfsProvider implements StorageProvider {
  readonly name = EMBEDDED_NODE;
  readonly #node: EmbeddedIpfsNode;
  /** Where `url()` points: the configured public gateway, else the node's own local one. */
  readonly #gateway?: string;

  constructor(node: EmbeddedIpfsNode, options: { gateway?: string } = {}) {
    this.#node = node;
    this.#gateway = options.gateway;
  }

  async put(request: PutRequest): Promise<StoredObject> {
    const { address } = request;
    const reused = await this.#node.isPinned(address.cid, request.signal);
    if (!reused) await this.#node.add(request.source, address, request.signal, request.onSent);
    return storedObject(this.name, request, reused);
  }

  has(object: StoredObject): Promise<boolean> {
    return this.#node.isPinned(object.cid);
  }

  async get(object: StoredObject, signal?: AbortSignal): Promise<Readable> {
    return this.#node.get(object.cid, signal);
  }

  verify(object: StoredObject, signal?: AbortSignal): Promise<void> {
    return this.#node.verify(object, signal);
  }

  async url(object: StoredObject): Promise<string> {
    const gateway = this.#gateway ?? this.#node.gatewayUrl;
    return gateway === undefined ? `ipfs://${object.cid}` : gatewayUrl(object.cid, gateway);
  }

  /** Counts pinned DAGs and their file sizes; pins are the node's record of what it holds on purpose. */
  async stats(): Promise<ProviderStats> {
    let objects = 0;
    let bytes = 0;
    for await (const pin of this.#node.helia.pins.ls()) {
      objects++;
      bytes += await this.#node.fileSize(pin.cid);
    }
    return { provider: this.name, objects, bytes };
  }

  /** The node is shared (its gateway outlives any one provider); whoever started it stops it. */
  async close(): Promise<void> {}
}
