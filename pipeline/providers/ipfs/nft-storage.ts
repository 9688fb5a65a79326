import { createWriteStream, openAsBlob } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CID } from "multiformats/cid";
import { NFTStorage } from "nft.storage";
import { z } from "zod";
import { AuthError, ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { httpError } from "./http-errors.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const NFT_STORAGE = "nft-storage";

/** The most uploads the list endpoint returns per request. */
export const NFT_STORAGE_MAX_PAGE = 1000;

/** The part of an entry of `GET /` (the documented `ListResponse`) we use. */
const ListResponseSchema = z.object({
  ok: z.literal(true),
  value: z.array(
    z.object({
      cid: z.string().min(1),
      size: z.number().nonnegative(),
      created: z.iso.datetime({ offset: true }),
      pin: z.object({ status: z.string() }).optional(),
    }),
  ),
});

/** One upload held by the account, as `list` reports it. */
export interface NftStorageUpload {
  cid: string;
  size: number;
  created: Date;
  /** The pin status (`queued`, `pinning`, `pinned`, `failed`) when the service reports one. */
  pinStatus?: string;
}

export interface NftStorageListOptions {
  /** Only uploads created before this instant (the service's `before`). */
  before?: Date;
  /** Uploads fetched per request, 1 to NFT_STORAGE_MAX_PAGE. */
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * NFT.Storage's upload API (`storeCar`), for compatible endpoints: the public service stopped taking
 * uploads in 2024, so the endpoint is configurable and nothing in the pipeline depends on this backend.
 */
export class NftStorageProvider extends RemoteIpfsProvider {
  readonly name = NFT_STORAGE;
  readonly #client: NFTStorage;

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions & { token: string; endpoint: string }) {
    super(node, options);
    this.#client = new NFTStorage({ token: options.token, endpoint: new URL(options.endpoint) });
  }

  /** storeCar wants a Blob: the CAR goes to a temporary file first, which `openAsBlob` reads lazily. */
  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "dcmx-car-"));
    try {
      const path = join(dir, `${cid}.car`);
      await pipeline(Readable.from(this.carStream(cid, request.signal)), createWriteStream(path));
      // The client retries chunk uploads itself; ours wraps the whole call, so its own retries are off.
      return await this.#client.storeCar(await openAsBlob(path), { maxRetries: 0, signal: request.signal });
    } catch (error) {
      throw this.#classify(error, request.signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    try {
      const status = await this.#client.status(cid.toString(), { signal });
      return status.pin.status === "pinned";
    } catch (error) {
      if (
        (error as { status?: number })?.status === 404 ||
        /not found/i.test((error as Error)?.message ?? "")
      ) {
        return false;
      }
      throw this.#classify(error, signal);
    }
  }

  /** The client throws bare Errors: a 401 aborts its retries or carries the server's message; 429 says "rate limited". */
  #classify(error: unknown, signal?: AbortSignal): unknown {
    const refused =
      (error as Error)?.name === "AbortError" || /unauthori[sz]ed/i.test((error as Error)?.message ?? "");
    if (refused && !signal?.aborted) {
      return new AuthError("the token was refused", {
        provider: this.name,
        status: 401,
        hint: "check NFT_STORAGE_TOKEN and NFT_STORAGE_ENDPOINT",
        cause: error,
      });
    }
    if (/rate limited/i.test((error as Error)?.message ?? "")) {
      return new ProviderError("RATE_LIMITED", "rate limited", {
        provider: this.name,
        status: 429,
        retryable: true,
      });
    }
    return error;
  }

  async delete(cid: string, signal?: AbortSignal): Promise<void> {
    await this.call(() => this.#client.delete(cid, { signal }), signal);
  }

  /**
   * Every upload the account holds, newest first. The client library has no list call, so this
   * speaks the documented `GET /?before=&limit=` itself; each page continues before the last
   * upload's `created`, as the API pages (uploads sharing that exact instant can be skipped).
   */
  async *list(options: NftStorageListOptions = {}): AsyncGenerator<NftStorageUpload> {
    const { signal } = options;
    const pageSize = options.pageSize ?? NFT_STORAGE_MAX_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > NFT_STORAGE_MAX_PAGE) {
      throw new RangeError(`pageSize must be an integer from 1 to ${NFT_STORAGE_MAX_PAGE}, got ${pageSize}`);
    }
    let before = options.before;
    for (;;) {
      const page = await this.call(() => this.#listPage(pageSize, before, signal), signal);
      yield* page;
      if (page.length < pageSize) return;
      before = page[page.length - 1]!.created;
    }
  }

  async #listPage(
    limit: number,
    before: Date | undefined,
    signal?: AbortSignal,
  ): Promise<NftStorageUpload[]> {
    const url = new URL("", this.#client.endpoint);
    url.searchParams.set("limit", String(limit));
    if (before !== undefined) url.searchParams.set("before", before.toISOString());
    await this.#client.rateLimiter();
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${this.#client.token}` },
      signal,
    });
    if (!response.ok) {
      throw httpError(this.name, response.status, "listing uploads", {
        retryAfter: response.headers.get("retry-after"),
        hint: "check NFT_STORAGE_TOKEN and NFT_STORAGE_ENDPOINT",
      });
    }
    const parsed = ListResponseSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ProviderError(
        "BAD_RESPONSE",
        `the upload list is malformed: ${z.prettifyError(parsed.error)}`,
        {
          provider: this.name,
          field: "value",
          hint: "NFT_STORAGE_ENDPOINT must speak the NFT.Storage API",
        },
      );
    }
    return parsed.data.value.map(({ cid, size, created, pin }) => ({
      cid,
      size,
      created: new Date(created),
      pinStatus: pin?.status,
    }));
  }
}
