import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { car } from "@helia/car";
import { CID } from "multiformats/cid";
import { ProviderError } from "../../errors.js";
import { type RetryOptions, withRetry } from "../../util/retry.js";
import type { ProviderStats, PutRequest, StorageProvider, StoredObject } from "../types.js";
import { gatewayUrl } from "./gateway-url.js";
import { assertSameCid, assertStreamMatches } from "./guard.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { fromClientError, httpError } from "./http-errors.js";
import { storedObject } from "./stored-object.js";

export interface RemoteOptions {
  /** HTTP gateway that reads this provider's content back (`get`, `verify`, `url`). */
  gateway?: string;
  retry?: RetryOptions;
}

/**
 * What every remote IPFS backend shares. The embedded node holds the DAG first (its CID checked against
 * ours), so a backend is only ever sent blocks we have verified; whatever CID it reports back must be ours.
 */
export abstract class RemoteIpfsProvider implements StorageProvider {
  abstract readonly name: string;
  protected readonly node: EmbeddedIpfsNode;
  readonly #options: RemoteOptions;
  #objects = 0;
  #bytes = 0;

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions) {
    this.node = node;
    this.#options = options;
  }

  /** Sends the DAG rooted at `cid` and returns the root CID the backend says it stored. */
  protected abstract upload(cid: CID, request: PutRequest): Promise<string>;
  /** Whether the backend already holds (has pinned) `cid`. */
  protected abstract holds(cid: CID, signal?: AbortSignal): Promise<boolean>;

  /** Runs one call to the backend with retries on transient failures, mapping its errors to ours. */
  protected call<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await operation();
        } catch (error) {
          throw fromClientError(this.name, error);
        }
      },
      { ...this.#options.retry, signal },
    );
  }

  /** The DAG as a CAR stream from the embedded node's blockstore. */
  protected carStream(cid: CID, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return car(this.node.helia).export(cid, { signal, offline: true });
  }

  async put(request: PutRequest): Promise<StoredObject> {
    const { address, signal } = request;
    const cid = CID.parse(address.cid);
    if (!(await this.node.has(cid, signal))) await this.node.add(request.source, address, signal);
    const reused = await this.call(() => this.holds(cid, signal), signal);
    if (!reused) {
      const root = await this.call(() => this.upload(cid, request), signal);
      assertSameCid(this.name, cid, root);
      this.#objects++;
      this.#bytes += address.size;
    }
    return storedObject(this.name, request, reused);
  }

  has(object: StoredObject): Promise<boolean> {
    return this.call(() => this.holds(CID.parse(object.cid)));
  }

  async get(object: StoredObject, signal?: AbortSignal): Promise<Readable> {
    const response = await this.call(async () => {
      const answer = await fetch(gatewayUrl(object.cid, this.#gateway()), { signal });
      if (!answer.ok || answer.body === null)
        throw httpError(this.name, answer.status, `reading ${object.cid}`);
      return answer;
    }, signal);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async verify(object: StoredObject, signal?: AbortSignal): Promise<void> {
    await assertStreamMatches(this.name, object, await this.get(object, signal));
  }

  async url(object: StoredObject): Promise<string> {
    return gatewayUrl(object.cid, this.#gateway());
  }

  /** What this process sent; the backends' own usage APIs differ too much to ask them. */
  async stats(): Promise<ProviderStats> {
    return { provider: this.name, objects: this.#objects, bytes: this.#bytes };
  }

  async close(): Promise<void> {}

  #gateway(): string {
    const gateway = this.#options.gateway;
    if (gateway === undefined) {
      throw new ProviderError("NO_GATEWAY", "no gateway is configured to read content back", {
        provider: this.name,
        hint: "set the provider's gateway variable (docs/STORAGE_SETUP.md, IPFS backends)",
      });
    }
    return gateway;
  }
}
