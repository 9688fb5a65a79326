import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { car } from "@helia/car";
import { CID } from "multiformats/cid";
import { describeError, ProviderError } from "../../errors.js";
import { isTransient, isUnreachable, type RetryOptions, withRetry } from "../../util/retry.js";
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
  /**
   * How long content the backend has just taken may stay invisible on its gateway. Hosted gateways
   * answer 404 for the first seconds after an upload; past this window a 404 means the content is not
   * there. Default 60 s.
   */
  readBackWindowMs?: number;
  /**
   * How long the backend is not asked again once a call could not connect to it at all, after every retry.
   * Default 30 s.
   */
  unreachableCooldownMs?: number;
}

/** The error a fresh upload's 404 becomes while the read-back window is open: retried, never fatal early. */
const NOT_YET_VISIBLE = "NOT_YET_VISIBLE";

/**
 * What every remote IPFS backend shares: push and verify. The embedded node holds the DAG first (its CID
 * checked against ours), the backend is sent that DAG as a CAR, so the root is ours by construction; the
 * CID the backend reports must equal ours, and the content is read back through the backend's gateway and
 * hashed before the object counts as stored there. Nothing a backend answers is taken on trust.
 */
export abstract class RemoteIpfsProvider implements StorageProvider {
  abstract readonly name: string;
  protected readonly node: EmbeddedIpfsNode;
  readonly #options: RemoteOptions;
  #objects = 0;
  #bytes = 0;
  /** The last call that could not connect at all, after every retry: see `call`. */
  #unreachable?: { at: number; error: unknown };

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions) {
    this.node = node;
    this.#options = options;
  }

  /** Sends the DAG rooted at `cid` and returns the root CID the backend says it stored. */
  protected abstract upload(cid: CID, request: PutRequest): Promise<string>;
  /** Whether the backend already holds (has pinned) `cid`. */
  protected abstract holds(cid: CID, signal?: AbortSignal): Promise<boolean>;

  /**
   * Opens the content of `cid` as the backend serves it. The default reads the configured gateway; a
   * backend with a read API of its own (Kubo's `cat`) may override it. Answers `undefined` for a 404.
   */
  protected async read(cid: string, signal?: AbortSignal): Promise<Response | undefined> {
    const answer = await fetch(gatewayUrl(cid, this.gateway()), { signal });
    if (answer.status === 404) {
      await answer.body?.cancel();
      return undefined;
    }
    if (!answer.ok || answer.body === null) {
      await answer.body?.cancel();
      throw httpError(this.name, answer.status, `reading ${cid}`, {
        retryAfter: answer.headers.get("retry-after"),
      });
    }
    return answer;
  }

  /**
   * Runs one call to the backend with retries on transient failures, mapping its errors to ours. A backend
   * that could not be connected to at all, after every retry, is not asked again until the cooldown ends:
   * it is a backup, the tracks go on without it, and each of their objects would otherwise hold an upload
   * slot through the whole retry schedule against a service that is not there.
   */
  protected async call<T>(
    operation: () => Promise<T>,
    signal?: AbortSignal,
    retry?: RetryOptions,
  ): Promise<T> {
    this.#assertReachable();
    try {
      const result = await withRetry(
        async () => {
          try {
            return await operation();
          } catch (error) {
            throw fromClientError(this.name, error);
          }
        },
        { ...this.#options.retry, ...retry, signal },
      );
      this.#unreachable = undefined;
      return result;
    } catch (error) {
      if (isUnreachable(error)) this.#unreachable = { at: Date.now(), error };
      throw error;
    }
  }

  #assertReachable(): void {
    const down = this.#unreachable;
    if (down === undefined) return;
    const elapsed = Date.now() - down.at;
    const cooldownMs = this.#options.unreachableCooldownMs ?? 30_000;
    if (elapsed >= cooldownMs) return;
    throw new ProviderError(
      "UNREACHABLE",
      `not tried: ${Math.round(elapsed / 1000)} s ago it could not be reached (${describeError(down.error)}); it is tried again in ${Math.ceil((cooldownMs - elapsed) / 1000)} s`,
      {
        provider: this.name,
        retryable: false,
        cause: down.error,
        hint: "check that the service is up and its URL is right; a later run stores what is missing there",
      },
    );
  }

  /** The DAG as a CAR stream from the embedded node's blockstore. */
  protected carStream(cid: CID, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return car(this.node.helia).export(cid, { signal, offline: true });
  }

  async put(request: PutRequest): Promise<StoredObject> {
    const { address, signal } = request;
    const cid = CID.parse(address.cid);
    if (!(await this.node.isPinned(cid, signal))) await this.node.add(request.source, address, signal);
    const reused = await this.call(() => this.holds(cid, signal), signal);
    const object = storedObject(this.name, request, reused);
    if (!reused) {
      const root = await this.call(() => this.upload(cid, request), signal);
      assertSameCid(this.name, cid, root);
      await this.#readBack(object, request.folderFile, signal);
      this.#objects++;
      this.#bytes += address.size;
    }
    return object;
  }

  has(object: StoredObject): Promise<boolean> {
    return this.call(() => this.holds(CID.parse(object.cid)));
  }

  async get(object: StoredObject, signal?: AbortSignal): Promise<Readable> {
    const response = await this.call(async () => {
      const answer = await this.read(object.cid, signal);
      if (answer === undefined) throw httpError(this.name, 404, `reading ${object.cid}`);
      return answer;
    }, signal);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async verify(object: StoredObject, signal?: AbortSignal): Promise<void> {
    await assertStreamMatches(this.name, object, await this.get(object, signal));
  }

  async url(object: StoredObject): Promise<string> {
    return gatewayUrl(object.cid, this.gateway());
  }

  /** What this process sent; the backends' own usage APIs differ too much to ask them. */
  async stats(): Promise<ProviderStats> {
    return { provider: this.name, objects: this.#objects, bytes: this.#bytes };
  }

  async close(): Promise<void> {}

  /** The gateway content is read back from; a backend without one cannot prove it holds anything. */
  protected gateway(): string {
    const gateway = this.#options.gateway;
    if (gateway === undefined) {
      throw new ProviderError("NO_GATEWAY", "no gateway is configured to read content back", {
        provider: this.name,
        hint: "set the provider's gateway variable (docs/STORAGE_SETUP.md, IPFS backends)",
      });
    }
    return gateway;
  }

  /**
   * Reads what the backend now serves for the object and hashes it against ours. A 404 is retried until
   * the read-back window closes (fresh uploads take seconds to appear on hosted gateways); any bytes that
   * are not ours fail at once with IntegrityError. For a folder, `folderFile` is read by its path under the root.
   */
  async #readBack(object: StoredObject, folderFile: string | undefined, signal?: AbortSignal): Promise<void> {
    const windowMs = this.#options.readBackWindowMs ?? 60_000;
    const deadline = Date.now() + windowMs;
    const response = await this.call(
      async () => {
        const answer = await this.read(
          folderFile === undefined ? object.cid : `${object.cid}/${folderFile}`,
          signal,
        );
        if (answer !== undefined) return answer;
        const open = Date.now() < deadline;
        throw new ProviderError(
          open ? NOT_YET_VISIBLE : "NOT_FOUND",
          `${object.cid} was accepted but its gateway does not serve it${open ? " yet" : ` after ${windowMs / 1000} s`}`,
          {
            provider: this.name,
            status: 404,
            retryable: open,
            hint: "the backend did not keep the upload; a later run uploads it again",
          },
        );
      },
      signal,
      // Backoff up to 2 s between looks, and looks until the window closes: a count of retries runs out
      // early when the backoff is short. A 404 seen inside the window earns one more look, which ends it.
      {
        retries: Number.POSITIVE_INFINITY,
        maxDelayMs: 2_000,
        isRetryable: (error) =>
          (error as ProviderError).code === NOT_YET_VISIBLE || (isTransient(error) && Date.now() < deadline),
      },
    );
    await assertStreamMatches(
      this.name,
      object,
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    );
  }
}
