import { setTimeout as sleep } from "node:timers/promises";
import {
  Configuration,
  type PinStatus,
  RemotePinningServiceClient,
  Status,
} from "@ipfs-shipyard/pinning-service-client";
import type { CID } from "multiformats/cid";
import { ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const PINNING_SERVICE = "pinning-service";

/** The most pins `GET /pins` returns per request (the spec's maximum `limit`). */
export const PINNING_SERVICE_MAX_PAGE = 1000;

export interface PinningServiceOptions extends RemoteOptions {
  endpoint: string;
  token: string;
  /** Multiaddrs of a publicly reachable node holding the content (PINNING_SERVICE_ORIGINS); may be empty. */
  origins: string[];
  /** How long a pin may stay queued or pinning before the put fails. */
  timeoutMs: number;
  pollIntervalMs?: number;
}

/** Statuses of a pin request an earlier attempt made that a retry resumes instead of asking again. */
const RESUMABLE = [Status.Queued, Status.Pinning, Status.Pinned];

/**
 * Any IPFS Pinning Service API (Pinata, Filebase, 4EVERLAND, IPFS Cluster): asks the service to pin our CID
 * and polls until `pinned` or the deadline. The service fetches the blocks over the IPFS network, from
 * the `origins` named (a public node that holds them) or from a push backend that stored them: never from
 * the embedded node, which only this machine reaches (docs/storage/pinning-service.md).
 */
export class PinningServiceProvider extends RemoteIpfsProvider {
  readonly name = PINNING_SERVICE;
  readonly #client: RemotePinningServiceClient;
  readonly #origins: string[];
  readonly #timeoutMs: number;
  readonly #pollIntervalMs: number;

  constructor(node: EmbeddedIpfsNode, options: PinningServiceOptions) {
    super(node, options);
    this.#client = new RemotePinningServiceClient(
      new Configuration({ endpointUrl: options.endpoint, accessToken: options.token }),
    );
    this.#origins = options.origins;
    this.#timeoutMs = options.timeoutMs;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2_000;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const { signal } = request;
    // This call is retried whole after a failure: the request an earlier attempt made is resumed, so a
    // flaky service never gets the same pin twice.
    const [earlier] = await this.list({ cid: [cid.toString()], status: RESUMABLE }, signal);
    let status =
      earlier ??
      (await this.#client.pinsPost(
        {
          pin: {
            cid: cid.toString(),
            name: `dcmx-${request.kind}-${request.address.sha256}`,
            origins: this.#origins,
          },
        },
        { signal },
      ));
    const deadline = Date.now() + this.#timeoutMs;
    while (status.status !== Status.Pinned) {
      if (status.status === Status.Failed) {
        throw new ProviderError(
          "PIN_FAILED",
          `the service could not pin ${cid} (request ${status.requestid})`,
          {
            provider: this.name,
            hint: "the service fetches the blocks over the IPFS network: PINNING_SERVICE_ORIGINS must name a public node that holds them, or a push backend must store them first",
          },
        );
      }
      if (Date.now() > deadline) {
        throw new ProviderError(
          "PIN_TIMEOUT",
          `${cid} still ${status.status} after ${this.#timeoutMs / 1000} s`,
          {
            provider: this.name,
            retryable: false,
            hint: "raise PINNING_TIMEOUT_SECONDS or check the service's dashboard; a later run resumes",
          },
        );
      }
      await sleep(this.#pollIntervalMs, undefined, { signal });
      const { requestid } = status;
      // A 429 or 5xx while polling asks again after a backoff; the pin request stands.
      status = await this.call(() => this.#client.pinsRequestidGet({ requestid }, { signal }), signal);
    }
    return status.pin.cid;
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const results = await this.list({ cid: [cid.toString()], status: [Status.Pinned] }, signal);
    return results.length > 0;
  }

  /**
   * Every pin request this account holds, newest first, filtered by CID and status when given. The spec
   * pages by creation time: each page continues `before` the oldest `created` of the last one, until a
   * page holds all `count` results left.
   */
  async list(filter: { cid?: string[]; status?: Status[] } = {}, signal?: AbortSignal) {
    const pins: PinStatus[] = [];
    let before: Date | undefined;
    for (;;) {
      const page = await this.call(
        () => this.#client.pinsGet({ ...filter, before, limit: PINNING_SERVICE_MAX_PAGE }, { signal }),
        signal,
      );
      pins.push(...page.results);
      if (page.results.length === 0 || page.results.length >= page.count) return pins;
      before = new Date(Math.min(...page.results.map((pin) => pin.created.getTime())));
    }
  }

  /** Removes every pin request for `cid`. */
  async remove(cid: string, signal?: AbortSignal): Promise<void> {
    for (const pin of await this.list({ cid: [cid] }, signal)) {
      await this.call(
        () => this.#client.pinsRequestidDelete({ requestid: pin.requestid }, { signal }),
        signal,
      );
    }
  }
}
