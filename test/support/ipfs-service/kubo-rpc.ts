import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type ReceivedRequest,
  readFormFile,
  received,
  reportedRoot,
  type ServiceStandIn,
  serviceStandIn,
  standInState,
} from "./form-upload.js";
import { failMidUpload, json, readBody, served, serveGateway, startHttpService } from "./http-service.js";
import { CarRefused } from "./service-store.js";

export interface KuboStandInOptions {
  /**
   * The node's `API.Authorizations` secrets (`basic:user:password`, `bearer:token`); none means the API is
   * open, as Kubo's is by default.
   */
  authSecrets?: string[];
  /** Milliseconds a fresh root stays invisible to `cat` and the gateway (a hosted Kubo-compatible RPC). */
  invisibleMs?: number;
}

/** `url` is KUBO_RPC_URL, `gatewayUrl` KUBO_GATEWAY_URL; faults by operation: `dag/import`, `pin/ls`, `cat`, `gateway`. */
export interface KuboStandIn extends ServiceStandIn {
  /**
   * Errors the next imports end with after their 200 header, in Kubo's `X-Stream-Error` trailer and with
   * no root line (the FaultPlan's kinds have no such answer: it is Kubo's own).
   */
  streamErrors: string[];
}

/** Kubo's error body for a failed command (HTTP 500). */
function commandError(res: ServerResponse, message: string, status = 500): void {
  json(res, status, { Message: message, Code: 0, Type: "error" });
}

/** A 429 as nginx's `limit_req` sends it in front of a node (Kubo itself never rate-limits). */
function proxyRateLimit(res: ServerResponse, retryAfter?: number): void {
  res
    .writeHead(429, {
      "content-type": "text/html",
      ...(retryAfter === undefined ? {} : { "retry-after": String(retryAfter) }),
    })
    .end("<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>nginx</body>\r\n</html>\r\n");
}

/** Kubo's answer to a request `API.Authorizations` does not allow. */
function forbidden(res: ServerResponse): void {
  res.writeHead(403, { "content-type": "text/plain" }).end("403 - Forbidden\n");
}

function authorizationsOf(secrets: string[]): Set<string> {
  return new Set(
    secrets.map((secret) => {
      const [scheme, ...rest] = secret.split(":");
      const value = rest.join(":");
      return scheme === "basic" ? `Basic ${Buffer.from(value).toString("base64")}` : `Bearer ${value}`;
    }),
  );
}

/**
 * A Kubo node's RPC API (`/api/v0`, POST only) and its gateway, as documented: `dag/import` takes a
 * multipart CAR, verifies every block and answers the root it read in NDJSON; `pin/ls` and `cat` answer
 * "not pinned" / "not found" as HTTP 500 command errors. Faults are rendered as the node, or the reverse
 * proxy in front of it, would send them.
 */
export async function startKuboStandIn(options: KuboStandInOptions = {}): Promise<KuboStandIn> {
  const state = standInState(options.invisibleMs);
  const { store, faults } = state;
  const authorizations = authorizationsOf(options.authSecrets ?? []);
  const streamErrors: string[] = [];

  async function dagImport(req: IncomingMessage, res: ServerResponse, seen: ReceivedRequest) {
    const fault = faults.take("dag/import");
    if (fault?.kind === "server-error") return failMidUpload(req, res, fault.status ?? 502);
    // Refusals come after the body is read, as a proxy that buffers uploads sends them; the client
    // then sees the status rather than a reset connection.
    if (fault?.kind === "rate-limit") return readBody(req).then(() => proxyRateLimit(res, fault.retryAfter));
    if (fault?.kind === "auth") return readBody(req).then(() => forbidden(res));
    const upload = await readFormFile(req, seen).catch(() => undefined);
    if (upload === undefined) return commandError(res, "file argument 'path' is required", 400);
    if (fault?.kind === "quota") {
      return commandError(res, "put block: write /data/ipfs/blocks/.temp: no space left on device");
    }
    let reported: string;
    try {
      const stored = await store.importCar(upload.file.stream());
      reported = await reportedRoot(state, stored.cid, fault);
      if (seen.query["pin-roots"] === "false") store.remove(stored.cid);
    } catch (error) {
      if (error instanceof CarRefused) return commandError(res, error.message);
      throw error;
    }
    const streamError = streamErrors.shift();
    res.writeHead(200, {
      "content-type": "application/json",
      "x-chunked-output": "1",
      ...(streamError === undefined ? {} : { trailer: "X-Stream-Error" }),
    });
    if (streamError !== undefined) {
      res.addTrailers({ "X-Stream-Error": streamError });
      return void res.end();
    }
    res.end(`${JSON.stringify({ Root: { Cid: { "/": reported }, PinErrorMsg: "" } })}\n`);
  }

  function pinLs(res: ServerResponse, arg: string) {
    const fault = faults.take("pin/ls");
    if (fault?.kind === "rate-limit") return proxyRateLimit(res, fault.retryAfter);
    if (fault?.kind === "server-error") return void res.writeHead(fault.status ?? 502).end();
    try {
      if (store.held(arg) === undefined) return commandError(res, `path '${arg}' is not pinned`);
    } catch {
      return commandError(res, `invalid path "${arg}": invalid cid`);
    }
    json(res, 200, { Keys: { [arg]: { Type: "recursive", Name: "" } } });
  }

  async function cat(req: IncomingMessage, res: ServerResponse, arg: string) {
    await readBody(req);
    const fault = faults.take("cat");
    if (fault?.kind === "rate-limit") return proxyRateLimit(res, fault.retryAfter);
    if (fault?.kind === "server-error") return void res.writeHead(fault.status ?? 502).end();
    let visible: boolean;
    try {
      visible = store.visible(arg);
    } catch {
      return commandError(res, `invalid path "${arg}": invalid cid`);
    }
    if (!visible) {
      if (store.held(arg) !== undefined) faults.served.push("cat:not-yet-visible");
      return commandError(res, `block was not found locally (offline): ipld: could not find ${arg}`);
    }
    res.writeHead(200, { "content-type": "text/plain", "x-stream-output": "1" });
    for await (const chunk of served(store.cat(arg), fault?.kind === "tamper")) res.write(chunk);
    res.end();
  }

  const rpc = await startHttpService(async (req, res, url) => {
    const seen = received(req, url);
    state.received.push(seen);
    if (!url.pathname.startsWith("/api/v0/")) return void res.writeHead(404).end("404 page not found");
    if (req.method !== "POST") return void res.writeHead(405).end("405 - Method Not Allowed");
    if (authorizations.size > 0 && !authorizations.has(req.headers.authorization ?? "")) {
      await readBody(req);
      return forbidden(res);
    }
    const arg = url.searchParams.get("arg") ?? "";
    switch (url.pathname.slice("/api/v0/".length)) {
      case "dag/import":
        return dagImport(req, res, seen);
      case "pin/ls":
        return pinLs(res, arg);
      case "cat":
        return cat(req, res, arg);
      default:
        return commandError(res, `unknown command "${url.pathname}"`, 404);
    }
  });
  const gateway = await startHttpService(async (req, res, url) => {
    const cid = /^\/ipfs\/([^/?]+)$/.exec(url.pathname)?.[1];
    try {
      if (cid !== undefined && store.held(cid) !== undefined && !store.visible(cid))
        faults.served.push("gateway:not-yet-visible");
    } catch {
      // Not a CID: serveGateway answers 400.
    }
    if (!(await serveGateway(store, faults, req, res, url))) res.writeHead(404).end("404 page not found");
  });

  return { ...serviceStandIn(state, rpc, gateway), streamErrors };
}
