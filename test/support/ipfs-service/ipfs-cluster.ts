import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { CID } from "multiformats/cid";
import { type Fault, FaultPlan } from "./faults.js";
import {
  failMidUpload,
  type HttpService,
  json,
  readBody,
  serveGateway,
  startHttpService,
} from "./http-service.js";
import { CarRefused, ServiceStore, type StoredRoot } from "./service-store.js";

/*
 * A stand-in for IPFS Cluster's REST API (v1.1.6, ipfs-cluster @ 2182e887): `POST /add` with the query
 * parameters of `AddParamsFromQuery`/`PinOptions.FromQuery`, `GET /pins[/<cid>]` answering
 * `GlobalPinInfo` with a `peer_map` per peer, `DELETE /pins/<cid>`, Basic/Bearer auth, errors as
 * `{code, message}` — plus a gateway of one of its IPFS peers on its own port, as a real deployment has.
 */

export interface ClusterStandInOptions {
  /** Cluster peers (each with its IPFS daemon); default 3. */
  peers?: number;
  /** Time a fresh pin takes on a peer: `pin_queued` for its first third, `pinning`, then `pinned`. */
  pinMs?: number;
  /** Credentials the API asks for, as the `basic_auth_credentials` of service.json or a JWT. */
  auth?: { basic?: string; bearer?: string };
  /** Milliseconds a fresh root stays invisible on the gateway. */
  invisibleMs?: number;
}

interface Pin {
  root: StoredRoot;
  name: string;
  /** Peer ids the pin is allocated to; empty means every peer (replication -1). */
  allocations: string[];
  /** Allocated peers whose IPFS daemon fails the pin: they end in `pin_error`. */
  failing: Set<string>;
  min: number;
  max: number;
}

/** What the cluster was sent on `/add`: the contract test compares it with the documented shape. */
export interface AddRequest {
  query: URLSearchParams;
  authorization?: string;
  contentType?: string;
  /** Multipart field names, in order. */
  fields: string[];
}

/** Cluster's `api.Error` as `SendResponse` writes it. */
const apiError = (res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}) =>
  json(res, code, { code, message }, headers);

/** The error IPFS daemons give for a pin whose blocks never arrive. */
const PIN_ERROR = "context deadline exceeded";

export class ClusterStandIn {
  readonly store: ServiceStore;
  readonly faults = new FaultPlan();
  readonly adds: AddRequest[] = [];
  /** Peer ids, `12D3KooW…` as libp2p prints them. */
  readonly peerIds: string[];
  /** How many allocated peers of each later pin end in `pin_error` (a daemon out of disk, a dead peer). */
  failingPeers = 0;
  readonly #pins = new Map<string, Pin>();
  readonly #options: ClusterStandInOptions;
  #api!: HttpService;
  #gateway!: HttpService;

  private constructor(options: ClusterStandInOptions) {
    this.#options = options;
    this.store = new ServiceStore({ invisibleMs: options.invisibleMs });
    this.peerIds = Array.from(
      { length: options.peers ?? 3 },
      (_, i) => `12D3KooWDcmxStandInPeer${String(i).padStart(3, "0")}xQ7n2Lk`,
    );
  }

  static async start(options: ClusterStandInOptions = {}): Promise<ClusterStandIn> {
    const cluster = new ClusterStandIn(options);
    cluster.#api = await startHttpService((req, res, url) => cluster.#route(req, res, url));
    cluster.#gateway = await startHttpService((req, res, url) => cluster.#serveGateway(req, res, url));
    return cluster;
  }

  /** The REST API (what IPFS_CLUSTER_URL names). */
  get url(): string {
    return this.#api.url;
  }

  /** The gateway of the first peer's IPFS daemon (what IPFS_CLUSTER_GATEWAY_URL names). */
  get gatewayUrl(): string {
    return this.#gateway.url;
  }

  get requests(): string[] {
    return this.#api.requests;
  }

  /** Peers on which `cid` is pinned now. */
  pinnedOn(cid: string | CID): number {
    const pin = this.#pins.get(this.store.held(cid)?.cid.toV1().toString() ?? "");
    if (pin === undefined) return 0;
    return Object.values(this.#peerMap(pin)).filter((peer) => peer.status === "pinned").length;
  }

  async close(): Promise<void> {
    await Promise.all([this.#api.close(), this.#gateway.close()]);
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!this.#authorized(req)) {
      await readBody(req);
      apiError(res, 401, "unauthorized: access denied", {
        "www-authenticate": 'Basic realm="Restricted IPFS Cluster API"',
      });
      return;
    }
    const pin = /^\/pins\/([^/]+)$/.exec(url.pathname);
    if (req.method === "POST" && url.pathname === "/add") return this.#add(req, res, url);
    if (req.method === "GET" && url.pathname === "/pins") return this.#list(res);
    if (req.method === "GET" && pin !== null) return this.#status(req, res, pin[1]!);
    if (req.method === "DELETE" && pin !== null) return this.#unpin(res, pin[1]!);
    apiError(res, 404, "not found");
  }

  #authorized(req: IncomingMessage): boolean {
    const { auth } = this.#options;
    if (auth === undefined) return true;
    const header = req.headers.authorization;
    if (auth.basic !== undefined && header === `Basic ${Buffer.from(auth.basic).toString("base64")}`)
      return true;
    return auth.bearer !== undefined && header === `Bearer ${auth.bearer}`;
  }

  /** Renders the faults every endpoint shares; true when the request was answered. */
  async #fault(req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): Promise<boolean> {
    switch (fault?.kind) {
      case "rate-limit":
        // Cluster has no rate limit of its own: this is the reverse proxy in front of a hosted one.
        await readBody(req);
        apiError(
          res,
          429,
          "too many requests",
          fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) },
        );
        return true;
      case "server-error":
        await failMidUpload(req, res, fault.status ?? 502);
        return true;
      case "auth":
        await readBody(req);
        apiError(res, 401, "unauthorized: invalid token");
        return true;
      case "quota":
        // Modelled: cluster has no quota; a hosted cluster's front refuses once the plan is used up.
        await readBody(req);
        apiError(res, 507, "storage quota of this account exceeded");
        return true;
      default:
        return false;
    }
  }

  async #add(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const fault = this.faults.take("add");
    const contentType = req.headers["content-type"];
    const request: AddRequest = {
      query: url.searchParams,
      authorization: req.headers.authorization,
      contentType,
      fields: [],
    };
    this.adds.push(request);
    if (await this.#fault(req, res, fault)) return;
    if (!contentType?.startsWith("multipart/")) {
      await readBody(req);
      return apiError(res, 400, "request Content-Type isn't multipart/form-data");
    }
    const q = url.searchParams;
    const format = q.get("format") ?? "";
    if (!["car", "unixfs", ""].includes(format)) return apiError(res, 400, "format parameter is invalid");
    const replication = replicationOf(q);
    if (typeof replication === "string") return apiError(res, 400, replication);
    const form = await new Response(Readable.toWeb(req) as ReadableStream, {
      headers: { "content-type": contentType },
    }).formData();
    request.fields = [...form.keys()];
    const file = form.get("file");
    if (!(file instanceof File)) return apiError(res, 500, "expected a file in the multipart body");
    let root: StoredRoot;
    try {
      // `wrong-cid`: a proxy that drops `format=car`, so the cluster adds the CAR's bytes as a file of
      // its own chunking and reports that DAG's CID, which it really holds.
      root =
        format === "car" && fault?.kind !== "wrong-cid"
          ? await this.store.importCar(file.stream())
          : await this.store.addBytes(new Uint8Array(await file.arrayBuffer()));
    } catch (error) {
      if (!(error instanceof CarRefused)) throw error;
      const message = error.message.startsWith("expected one root")
        ? "only CAR files with a single root are supported"
        : error.message;
      return this.#addError(res, q, message);
    }
    const allocated = this.#allocate(replication);
    if (typeof allocated === "string") return this.#addError(res, q, allocated);
    const pinned: Pin = {
      root,
      name: q.get("name") ?? "",
      allocations: allocated,
      failing: new Set((allocated.length > 0 ? allocated : this.peerIds).slice(0, this.failingPeers)),
      ...replication,
    };
    this.#pins.set(root.cid.toV1().toString(), pinned);
    const output = {
      name: file.name,
      cid: root.cid.toString(),
      bytes: root.size,
      allocations: allocated,
    };
    if (q.get("stream-channels") === "false") json(res, 200, [output]);
    else
      res
        .writeHead(200, { "content-type": "application/json", "x-chunked-output": "1" })
        .end(`${JSON.stringify(output)}\n`);
  }

  /** Buffered output answers a failed add with 500; the streamed form with an `X-Stream-Error` trailer. */
  #addError(res: ServerResponse, q: URLSearchParams, message: string): void {
    if (q.get("stream-channels") === "false") {
      apiError(res, 500, message);
      return;
    }
    res.writeHead(200, { "content-type": "application/json", trailer: "X-Stream-Error" });
    res.addTrailers({ "x-stream-error": message });
    res.end();
  }

  /**
   * Cluster's allocator after `isReplicationFactorValid`: `-1` pins everywhere; otherwise `min` peers at
   * least, `max` at most.
   */
  #allocate({ min, max }: { min: number; max: number }): string[] | string {
    if (min === -1 && max === -1) return [];
    if (min < 1 || max < min) return "cluster.replication_factor_min and max are wrong";
    if (min > this.peerIds.length) {
      return `not enough peers to allocate CID. Needed at least: ${min}. Wanted at most: ${max}. Available candidates: ${this.peerIds.length}. See logs for more info.`;
    }
    return this.peerIds.slice(0, Math.min(max, this.peerIds.length));
  }

  async #status(req: IncomingMessage, res: ServerResponse, hash: string): Promise<void> {
    if (await this.#fault(req, res, this.faults.take("status"))) return;
    let stored: StoredRoot | undefined;
    try {
      stored = this.store.held(hash);
    } catch (error) {
      return apiError(res, 400, `error decoding Cid: ${(error as Error).message}`);
    }
    const pin = this.#pins.get(stored?.cid.toV1().toString() ?? "");
    json(res, 200, pin === undefined ? this.#unknown(hash) : this.#globalPinInfo(pin));
  }

  #list(res: ServerResponse): void {
    if (this.#pins.size === 0) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", trailer: "X-Stream-Error" });
    for (const pin of this.#pins.values()) res.write(`${JSON.stringify(this.#globalPinInfo(pin))}\n`);
    res.end();
  }

  #unpin(res: ServerResponse, hash: string): void {
    const key = this.store.held(hash)?.cid.toV1().toString() ?? "";
    const pin = this.#pins.get(key);
    if (pin === undefined) {
      apiError(res, 404, "not found");
      return;
    }
    this.#pins.delete(key);
    this.store.remove(pin.root.cid);
    json(res, 200, {
      cid: pin.root.cid.toString(),
      type: 2,
      allocations: pin.allocations,
      max_depth: -1,
      reference: null,
      timestamp: new Date().toISOString(),
      replication_factor_min: pin.min,
      replication_factor_max: pin.max,
      name: pin.name,
    });
  }

  #globalPinInfo(pin: Pin) {
    return {
      cid: pin.root.cid.toString(),
      name: pin.name,
      allocations: pin.allocations,
      origins: [],
      created: pin.root.created.toISOString(),
      metadata: null,
      peer_map: this.#peerMap(pin),
    };
  }

  /** Not in the pinset: every peer says `unpinned`, as `globalPinInfoCid` answers. */
  #unknown(hash: string) {
    const now = new Date().toISOString();
    return {
      cid: hash,
      name: "",
      allocations: null,
      origins: null,
      created: "0001-01-01T00:00:00Z",
      metadata: null,
      peer_map: Object.fromEntries(this.peerIds.map((id, i) => [id, this.#peer(i, "unpinned", now)])),
    };
  }

  #peerMap(pin: Pin) {
    const elapsed = Date.now() - pin.root.created.getTime();
    const pinMs = this.#options.pinMs ?? 300;
    const timestamp = new Date().toISOString();
    return Object.fromEntries(
      this.peerIds.map((id, i) => {
        if (pin.allocations.length > 0 && !pin.allocations.includes(id))
          return [id, this.#peer(i, "remote", timestamp)];
        if (pin.failing.has(id) && elapsed >= pinMs / 3)
          return [id, this.#peer(i, "pin_error", timestamp, PIN_ERROR)];
        const status = elapsed < pinMs / 3 ? "pin_queued" : elapsed < pinMs ? "pinning" : "pinned";
        return [id, this.#peer(i, status, timestamp)];
      }),
    );
  }

  /** One `PinInfoShort`. */
  #peer(index: number, status: string, timestamp: string, error = "") {
    return {
      peername: `cluster-peer-${index}`,
      ipfs_peer_id: `12D3KooWDcmxIpfsDaemon${String(index).padStart(3, "0")}`,
      status,
      timestamp,
      error,
      attempt_count: status === "pin_error" ? 1 : 0,
      priority_pin: false,
    };
  }

  async #serveGateway(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!(await serveGateway(this.store, this.faults, req, res, url))) res.writeHead(404).end();
  }
}

/**
 * `PinOptions.FromQuery`: `replication` sets both; 0 (unset) means the cluster's default, -1 as service.json
 * ships. Only a value that is not a whole number is refused here (400); bad factors fail the pin (500).
 */
function replicationOf(q: URLSearchParams): { min: number; max: number } | string {
  const read = (name: string) => {
    const value = q.get("replication") ?? q.get(name);
    if (value === null || value === "") return 0;
    return /^-?\d+$/.test(value) ? Number(value) : undefined;
  };
  const min = read("replication-min");
  const max = read("replication-max");
  if (min === undefined) return "parameter replication-min invalid";
  if (max === undefined) return "parameter replication-max invalid";
  return { min: min === 0 ? -1 : min, max: max === 0 ? -1 : max };
}
