import { setTimeout as sleep } from "node:timers/promises";
import type { CID } from "multiformats/cid";
import { z } from "zod";
import { AbortedError, ProviderError } from "../../errors.js";
import { backoffDelay } from "../../util/retry.js";
import type { PutRequest } from "../types.js";
import { postCarForm } from "./car-form.js";
import type { IpfsClusterConfig } from "./config.js";
import { assertSameCid } from "./guard.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { httpError } from "./http-errors.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const IPFS_CLUSTER = "ipfs-cluster";

/*
 * Shapes of IPFS Cluster's REST API as its source defines them (ipfs-cluster @ 2182e887, v1.1.6):
 * `api.AddedOutput` and `api.Error` in api/add.go and api/types.go, `api.GlobalPinInfo` with its
 * `peer_map` of `api.PinInfoShort`. Go writes nil slices and maps as null.
 */
const AddedOutputSchema = z.object({
  name: z.string().optional(),
  cid: z.string(),
  bytes: z.number().optional(),
  size: z.number().optional(),
  allocations: z.array(z.string()).nullish(),
});
const ApiErrorSchema = z.object({ code: z.number(), message: z.string() });
const PinInfoShortSchema = z.object({
  peername: z.string().optional(),
  ipfs_peer_id: z.string().optional(),
  status: z.string(),
  error: z.string().optional(),
});
const GlobalPinInfoSchema = z.object({
  cid: z.string().nullish(),
  peer_map: z.record(z.string(), PinInfoShortSchema).nullish(),
});
type GlobalPinInfo = z.infer<typeof GlobalPinInfoSchema>;

type PeerState = "pinned" | "pending" | "failed";

/**
 * What a peer's status (api/types.go, TrackerStatus names) means for a CID we have just added. A peer
 * that has not heard of the pin yet says `unpinned`, so it is still pending; statuses missing here
 * (`remote`, `sharded`) belong to peers the CID is not allocated to, which do not count.
 */
const PEER_STATE: Record<string, PeerState> = {
  pinned: "pinned",
  pin_queued: "pending",
  pinning: "pending",
  queued: "pending",
  unpinned: "pending",
  unexpectedly_unpinned: "pending",
  pin_error: "failed",
  cluster_error: "failed",
  error: "failed",
  unpin_error: "failed",
  unpin_queued: "failed",
  unpinning: "failed",
};

interface PeerStatus {
  /** `peername (peer id)`, as `ipfs-cluster-ctl status` shows it. */
  peer: string;
  status: string;
  error?: string;
}

type Tally = Record<PeerState, PeerStatus[]>;

function tally(info: GlobalPinInfo): Tally {
  const peers: Tally = { pinned: [], pending: [], failed: [] };
  for (const [id, pin] of Object.entries(info.peer_map ?? {})) {
    const state = PEER_STATE[pin.status];
    if (state !== undefined) {
      peers[state].push({
        peer: `${pin.peername || "?"} (${id})`,
        status: pin.status,
        error: pin.error || undefined,
      });
    }
  }
  return peers;
}

const describePeers = (peers: PeerStatus[]) =>
  peers.map((p) => `${p.peer}: ${p.status}${p.error ? ` "${p.error}"` : ""}`).join("; ");

/** Refusals no retry can fix, whatever their status class: the user has to act first. */
const PERMANENT_REFUSALS: Array<{
  code: string;
  matches(status: number, message: string): boolean;
  hint: string;
}> = [
  {
    // IPFS Cluster has no quota of its own; hosted clusters put one in front of it.
    code: "QUOTA",
    matches: (status) => status === 402 || status === 413 || status === 507,
    hint: "the cluster's operator refused the upload for lack of space or plan; free space or raise the plan, then run again",
  },
  {
    code: "REPLICATION_NOT_MET",
    matches: (_, message) => /not enough peers to allocate/i.test(message),
    hint: "the cluster has fewer peers than IPFS_CLUSTER_REPLICATION's minimum; add peers or lower the minimum",
  },
];

export interface IpfsClusterOptions extends RemoteOptions, Omit<IpfsClusterConfig, "gateway"> {
  gateway: string;
  /** Backoff between looks at a fresh pin's status; the default grows from 250 ms to 5 s. */
  pollDelayMs?: { min: number; max: number };
}

/**
 * An IPFS Cluster through its REST API: our CAR goes to `POST /add?format=car` with the replication we
 * ask for, and the object counts as stored only once `GET /pins/<cid>` shows it pinned on enough peers
 * and it reads back through a peer's gateway. The Kubo-compatible proxy is not used: it passes
 * `dag/import` straight to one IPFS daemon, so the cluster would neither track nor replicate the pin.
 */
export class IpfsClusterProvider extends RemoteIpfsProvider {
  readonly name = IPFS_CLUSTER;
  readonly #options: IpfsClusterOptions;

  constructor(node: EmbeddedIpfsNode, options: IpfsClusterOptions) {
    super(node, options);
    this.#options = options;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const { signal } = request;
    const query = new URLSearchParams({
      format: "car",
      // Buffered output: an error after the first result (a pin the cluster could not allocate) comes as
      // a status and a body; the streamed form carries it in an HTTP trailer, which fetch cannot read.
      "stream-channels": "false",
      name: `dcmx ${request.kind} ${request.address.sha256}${request.extension}`,
    });
    const { replication } = this.#options;
    if (replication !== undefined) {
      query.set("replication-min", String(replication.min));
      query.set("replication-max", String(replication.max));
    }
    // One multipart part named `file`, as `ipfs-cluster-ctl add` sends it.
    const answer = await postCarForm(this.#endpoint(`/add?${query}`), {
      car: this.carStream(cid, signal),
      filename: `${cid}.car`,
      contentType: "application/vnd.ipld.car",
      headers: this.#auth(),
      signal,
      onSent: request.onSent,
    });
    if (!answer.ok) throw await this.#refusal(answer, `adding ${cid}`);
    const outputs = z
      .array(AddedOutputSchema)
      .nullable()
      .safeParse(await answer.json().catch(() => undefined));
    const root = outputs.success ? outputs.data?.at(-1)?.cid : undefined;
    if (root === undefined) {
      throw new ProviderError("NO_ROOT", `/add of ${cid} answered without an AddedOutput`, {
        provider: this.name,
        hint: "is IPFS_CLUSTER_URL the REST API (port 9094)? The Kubo proxy and the pinning API answer differently",
      });
    }
    // The pins of a DAG that is not ours are not worth waiting for.
    assertSameCid(this.name, cid, root);
    await this.#replicated(cid, signal);
    return root;
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const peers = tally(await this.#status(cid, signal));
    return peers.pinned.length >= this.#required(peers);
  }

  /** Pinned peers needed: the minimum asked for, every allocated peer for `-1`, one when the cluster decides. */
  #required(peers: Tally): number {
    const min = this.#options.replication?.min;
    if (min === undefined) return 1;
    if (min === -1) return Math.max(1, peers.pinned.length + peers.pending.length + peers.failed.length);
    return min;
  }

  /**
   * Waits until enough peers have pinned `cid`, looking with backoff. Fails at once when too many peers
   * have failed for the rest to reach the minimum, and after the pin timeout otherwise.
   */
  async #replicated(cid: CID, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.#options.pinTimeoutMs;
    const delay = this.#options.pollDelayMs ?? { min: 250, max: 5_000 };
    for (let attempt = 1; ; attempt++) {
      const peers = tally(await this.call(() => this.#status(cid, signal), signal));
      const needed = this.#required(peers);
      if (peers.pinned.length >= needed) return;
      if (peers.pinned.length + peers.pending.length < needed) {
        throw new ProviderError(
          "REPLICATION_NOT_MET",
          `${cid} is pinned on ${peers.pinned.length} peers and can reach at most ${peers.pinned.length + peers.pending.length} of the ${needed} needed: ${describePeers(peers.failed)}`,
          {
            provider: this.name,
            field: "IPFS_CLUSTER_REPLICATION",
            hint: `fix or remove the failing peers (ipfs-cluster-ctl status ${cid}; recover ${cid}) or lower the minimum; a later run tries again`,
          },
        );
      }
      if (Date.now() >= deadline) {
        throw new ProviderError(
          "PIN_TIMEOUT",
          `${cid} is pinned on ${peers.pinned.length} of the ${needed} peers needed after ${this.#options.pinTimeoutMs / 1000} s; still waiting: ${describePeers(peers.pending)}`,
          {
            provider: this.name,
            field: "IPFS_CLUSTER_PIN_TIMEOUT_SECONDS",
            hint: "check the peers' IPFS daemons, or raise IPFS_CLUSTER_PIN_TIMEOUT_SECONDS; a later run tries again",
          },
        );
      }
      await sleep(backoffDelay(attempt, delay.min, delay.max), undefined, { signal }).catch(() => {
        throw new AbortedError();
      });
    }
  }

  async #status(cid: CID, signal?: AbortSignal): Promise<GlobalPinInfo> {
    const answer = await fetch(this.#endpoint(`/pins/${cid}`), { headers: this.#auth(), signal });
    if (!answer.ok) throw await this.#refusal(answer, `reading the status of ${cid}`);
    const info = GlobalPinInfoSchema.safeParse(await answer.json().catch(() => undefined));
    if (!info.success) {
      throw new ProviderError("BAD_ANSWER", `GET /pins/${cid} did not answer a GlobalPinInfo`, {
        provider: this.name,
        hint: "is IPFS_CLUSTER_URL the cluster's REST API (port 9094)?",
      });
    }
    return info.data;
  }

  /** The REST API's `{code, message}` refusal as our typed error. */
  async #refusal(answer: Response, what: string): Promise<ProviderError> {
    const text = await answer.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const parsed = ApiErrorSchema.safeParse(body);
    const message = parsed.success ? parsed.data.message : text.slice(0, 200) || answer.statusText;
    const detail = `${what}: ${message}`;
    const permanent = PERMANENT_REFUSALS.find((rule) => rule.matches(answer.status, message));
    if (permanent !== undefined) {
      return new ProviderError(permanent.code, `HTTP ${answer.status}: ${detail}`, {
        provider: this.name,
        status: answer.status,
        hint: permanent.hint,
      });
    }
    return httpError(this.name, answer.status, detail, {
      retryAfter: answer.headers.get("retry-after"),
      hint:
        answer.status === 401 || answer.status === 403
          ? "check IPFS_CLUSTER_AUTH (user:password, or Bearer <jwt> from POST /token) for IPFS_CLUSTER_URL"
          : undefined,
    });
  }

  #endpoint(path: string): string {
    return `${this.#options.url.replace(/\/+$/, "")}${path}`;
  }

  #auth(): Record<string, string> {
    const { authorization } = this.#options;
    return authorization === undefined ? {} : { authorization };
  }
}
