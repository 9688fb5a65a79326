import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { CID } from "multiformats/cid";
import { FaultPlan } from "./ipfs-service/faults.js";
import {
  type HttpService,
  json,
  readBody,
  serveGateway,
  startHttpService,
} from "./ipfs-service/http-service.js";
import { ServiceStore } from "./ipfs-service/service-store.js";

interface PinStatus {
  requestid: string;
  status: "queued" | "pinning" | "pinned" | "failed";
  created: string;
  pin: { cid: string; name?: string; origins: string[]; meta?: Record<string, string> };
  delegates: string[];
  info: Record<string, string>;
}

export interface PinningServiceOptions {
  token: string;
  /**
   * The part of the IPFS network this service can reach: a public multiaddr (as a pin's `origins` names
   * it) → the HTTP gateway where that node really listens on loopback. Any other origin, loopback ones
   * included, is out of reach, as this machine's 127.0.0.1 is for a hosted service.
   */
  reachable?: Record<string, string>;
  /** Nodes the service finds through the DHT without an origin (a push backend that holds the content). */
  network?: string[];
  /** Milliseconds a fresh pin stays invisible on the service's gateway. */
  invisibleMs?: number;
}

export interface PinningService extends HttpService {
  /** Scripted faults: `post`, `status` (GET /pins/{id}), `list` (GET /pins). */
  faults: FaultPlan;
  /** Gateways the service fetched a DAG from, in order. */
  fetchedFrom: string[];
  /** POST /pins requests received. */
  posts(): number;
}

const failure = (res: ServerResponse, status: number, reason: string, details = "") =>
  json(res, status, { error: { reason, details } });

/**
 * The IPFS Pinning Service API as hosted services implement it (spec v1.0.0): bearer auth, POST /pins,
 * GET /pins newest first with `cid`, `status`, `before`, `after`, `limit` (1–1000) and the total `count`,
 * GET and DELETE /pins/{requestid}, and a path gateway for what it pinned. A queued pin is fetched as a
 * CAR over the network this service can reach (see `reachable`), verified block by block into its own
 * store, and only then `pinned`; unreachable origins leave it `failed`, never fetched over loopback.
 */
export async function startPinningService(options: PinningServiceOptions): Promise<PinningService> {
  const store = new ServiceStore({ invisibleMs: options.invisibleMs });
  const faults = new FaultPlan();
  const pins = new Map<string, PinStatus>();
  const fetchedFrom: string[] = [];
  let lastCreated = 0;

  async function fetchDag(pin: PinStatus): Promise<boolean> {
    const sources = [
      ...pin.pin.origins.flatMap((origin) => options.reachable?.[origin] ?? []),
      ...(options.network ?? []),
    ];
    for (const gateway of sources) {
      try {
        const response = await fetch(`${gateway}/ipfs/${pin.pin.cid}?format=car`);
        if (!response.ok || response.body === null) continue;
        const root = await store.importCar(response.body as AsyncIterable<Uint8Array>);
        if (!root.cid.equals(CID.parse(pin.pin.cid))) continue;
        fetchedFrom.push(gateway);
        return true;
      } catch {
        // This source did not have it, or sent bad blocks: try the next.
      }
    }
    return false;
  }

  const work = async (pin: PinStatus) => {
    pin.status = "pinning";
    pin.status = (await fetchDag(pin)) ? "pinned" : "failed";
  };

  const fault = (res: ServerResponse, operation: string): boolean => {
    const met = faults.take(operation);
    if (met?.kind === "rate-limit") {
      const headers: Record<string, string> =
        met.retryAfter === undefined ? {} : { "retry-after": String(met.retryAfter) };
      json(res, 429, { error: { reason: "RATE_LIMIT" } }, headers);
      return true;
    }
    if (met?.kind === "server-error") {
      failure(res, met.status ?? 503, "INTERNAL_SERVER_ERROR");
      return true;
    }
    return met !== undefined;
  };

  const service = await startHttpService(async (req, res, url) => {
    if (await serveGateway(store, faults, req, res, url)) return;
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return failure(res, 401, "UNAUTHORIZED", "access token is missing or invalid");
    }
    const id = /^\/pins\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === "POST" && url.pathname === "/pins") {
      if (fault(res, "post")) return;
      const body = JSON.parse((await readBody(req)).toString("utf8"));
      if (typeof body?.cid !== "string") return failure(res, 400, "BAD_REQUEST", "cid is required");
      // `created` is the pagination cursor: the spec asks it to be unique.
      lastCreated = Math.max(Date.now(), lastCreated + 1);
      const pin: PinStatus = {
        requestid: randomUUID(),
        status: "queued",
        created: new Date(lastCreated).toISOString(),
        pin: { cid: body.cid, name: body.name, origins: body.origins ?? [], meta: body.meta },
        delegates: [],
        info: {},
      };
      pins.set(pin.requestid, pin);
      setImmediate(() => void work(pin));
      return json(res, 202, pin);
    }
    if (req.method === "GET" && url.pathname === "/pins") {
      if (fault(res, "list")) return;
      const limit = Number(url.searchParams.get("limit") ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        return failure(res, 400, "BAD_REQUEST", "limit must be 1 to 1000");
      }
      const list = (name: string) => url.searchParams.get(name)?.split(",");
      const [cids, statuses] = [list("cid"), list("status")];
      const before = Date.parse(url.searchParams.get("before") ?? "") || Number.POSITIVE_INFINITY;
      const after = Date.parse(url.searchParams.get("after") ?? "") || Number.NEGATIVE_INFINITY;
      const matching = [...pins.values()]
        .filter((p) => !cids || cids.includes(p.pin.cid))
        .filter((p) => !statuses || statuses.includes(p.status))
        .filter((p) => Date.parse(p.created) < before && Date.parse(p.created) > after)
        .sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
      return json(res, 200, { count: matching.length, results: matching.slice(0, limit) });
    }
    if (id !== undefined && req.method === "GET") {
      if (fault(res, "status")) return;
      const pin = pins.get(id);
      return pin ? json(res, 200, pin) : failure(res, 404, "NOT_FOUND");
    }
    if (id !== undefined && req.method === "DELETE") {
      const pin = pins.get(id);
      if (pin === undefined) return failure(res, 404, "NOT_FOUND");
      pins.delete(id);
      if (![...pins.values()].some((p) => p.pin.cid === pin.pin.cid)) store.remove(pin.pin.cid);
      res.writeHead(202).end();
      return;
    }
    return failure(res, 404, "NOT_FOUND");
  });
  return {
    ...service,
    faults,
    fetchedFrom,
    posts: () => service.requests.filter((r) => r === "POST /pins").length,
  };
}
