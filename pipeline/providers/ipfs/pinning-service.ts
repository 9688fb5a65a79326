import { setTimeout as sleep } from "node:timers/promises";
import { Configuration, RemotePinningServiceClient, Status } from "@ipfs-shipyard/pinning-service-client";
import type { CID } from "multiformats/cid";
import { ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const PINNING_SERVICE = "pinning-service";

export interface PinningServiceOptions extends RemoteOptions {
  endpoint: string;
  token: string;
  /** How long a pin may stay queued or pinning before the put fails. */
  timeoutMs: number;
  pollIntervalMs?: number;
}

/** `http://127.0.0.1:8180` → `/ip4/127.0.0.1/tcp/8180/http`, the multiaddr form of a trustless gateway. */
export function gatewayOrigin(gateway: string): string {
  const url = new URL(gateway);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const proto = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? "ip4" : host.includes(":") ? "ip6" : "dns";
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return `/${proto}/${host}/tcp/${port}/${url.protocol === "https:" ? "https" : "http"}`;
}

/**
 * Any IPFS Pinning Service API (Pinata, Filebase, 4EVERLAND, IPFS Cluster): asks the service to pin our
 * CID, naming the embedded node's gateway as origin, and polls until `pinned` or the deadline.
 */
export class PinningServiceProvider extends RemoteIpfsProvider {
  readonly name = PINNING_SERVICE;
  readonly #client: RemotePinningServiceClient;
  readonly #timeoutMs: number;
  readonly #pollIntervalMs: number;

  constructor(node: EmbeddedIpfsNode, options: PinningServiceOptions) {
    super(node, options);
    this.#client = new RemotePinningServiceClient(
      new Configuration({ endpointUrl: options.endpoint, accessToken: options.token }),
    );
    this.#timeoutMs = options.timeoutMs;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2_000;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const gateway = this.node.gatewayUrl;
    const origins = gateway === undefined ? [] : [gatewayOrigin(gateway)];
    let status = await this.#client.pinsPost(
      { pin: { cid: cid.toString(), name: `dcmx-${request.kind}-${request.address.sha256}`, origins } },
      { signal: request.signal },
    );
    const deadline = Date.now() + this.#timeoutMs;
    while (status.status !== Status.Pinned) {
      if (status.status === Status.Failed) {
        throw new ProviderError(
          "PIN_FAILED",
          `the service could not pin ${cid} (request ${status.requestid})`,
          {
            provider: this.name,
            hint: "the service must be able to fetch the blocks: keep the embedded node's gateway reachable from it",
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
      await sleep(this.#pollIntervalMs, undefined, { signal: request.signal });
      status = await this.#client.pinsRequestidGet(
        { requestid: status.requestid },
        { signal: request.signal },
      );
    }
    return status.pin.cid;
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const results = await this.list({ cid: [cid.toString()], status: [Status.Pinned] }, signal);
    return results.length > 0;
  }

  /** Pins this account holds, filtered by CID and status when given. */
  async list(filter: { cid?: string[]; status?: Status[] } = {}, signal?: AbortSignal) {
    const answer = await this.call(() => this.#client.pinsGet(filter, { signal }), signal);
    return answer.results.map((result) => ({
      requestid: result.requestid,
      cid: result.pin.cid,
      status: result.status,
    }));
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
