import { createWriteStream, openAsBlob } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CID } from "multiformats/cid";
import { NFTStorage } from "nft.storage";
import { AuthError, ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const NFT_STORAGE = "nft-storage";

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
}
