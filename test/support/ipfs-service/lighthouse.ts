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
import { failMidUpload, json, readBody, serveGateway, startHttpService } from "./http-service.js";
import { CarRefused, type ServiceStore } from "./service-store.js";

/**
 * How the stand-in says the account's storage is used up. Lighthouse documents no answer for it
 * (UNCONFIRMED), so both plausible shapes are served: 402 Payment Required, or a 403 whose body names the
 * limit (which a client must not take for a bad key).
 */
export type LighthouseQuotaShape = "payment-required" | "forbidden";

export interface LighthouseStandInOptions {
  apiKey: string;
  invisibleMs?: number;
  quotaShape?: LighthouseQuotaShape;
}

/** `url` is LIGHTHOUSE_API_URL, `gatewayUrl` LIGHTHOUSE_GATEWAY_URL; faults by operation: `upload`, `gateway`. */
export type LighthouseStandIn = ServiceStandIn;

function quota(res: ServerResponse, shape: LighthouseQuotaShape): void {
  if (shape === "payment-required") json(res, 402, { error: "Payment Required: storage limit exceeded" });
  else json(res, 403, { error: "Data limit exceeded, upgrade your plan to upload more" });
}

/**
 * Lighthouse's upload node (`POST /api/v0/dag/import`, `Authorization: Bearer <key>`, multipart `file`
 * whose name ends in `.car`, answer `{Name, Hash, Size}` as the SDK types it) and its gateway (GET, and
 * HEAD honouring `Cache-Control: only-if-cached`). The CAR is verified and the root reported is the one
 * read from it.
 */
export async function startLighthouseStandIn(options: LighthouseStandInOptions): Promise<LighthouseStandIn> {
  const state = standInState(options.invisibleMs);
  const { store, faults } = state;

  async function dagImport(req: IncomingMessage, res: ServerResponse, seen: ReceivedRequest) {
    const fault = faults.take("upload");
    if (fault?.kind === "server-error") return failMidUpload(req, res, fault.status ?? 503);
    const upload = await readFormFile(req, seen).catch(() => undefined);
    if (fault?.kind === "rate-limit") {
      return json(
        res,
        429,
        { error: "Too many requests, please try again later." },
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) },
      );
    }
    if (seen.authorization !== `Bearer ${options.apiKey}` || fault?.kind === "auth") {
      return json(res, 401, { error: "Invalid API key" });
    }
    if (fault?.kind === "quota") return quota(res, options.quotaShape ?? "payment-required");
    if (upload === undefined) return json(res, 400, { error: "No file uploaded" });
    if (!seen.part!.filename.toLowerCase().endsWith(".car")) {
      return json(res, 400, { error: "File must have a .car extension" });
    }
    let stored: Awaited<ReturnType<ServiceStore["importCar"]>>;
    try {
      stored = await store.importCar(upload.file.stream());
    } catch (error) {
      if (error instanceof CarRefused) return json(res, 400, { error: error.message });
      throw error;
    }
    const hash = await reportedRoot(state, stored.cid, fault);
    json(res, 200, { Name: seen.part!.filename, Hash: hash, Size: String(upload.file.size) });
  }

  const api = await startHttpService(async (req, res, url) => {
    const seen = received(req, url);
    state.received.push(seen);
    if (req.method === "POST" && url.pathname === "/api/v0/dag/import") return dagImport(req, res, seen);
    await readBody(req);
    json(res, 404, { error: "Not Found" });
  });

  const gateway = await startHttpService(async (req, res, url) => {
    const cid = /^\/ipfs\/([^/?]+)$/.exec(url.pathname)?.[1];
    let held = false;
    let visible = false;
    try {
      held = cid !== undefined && store.held(cid) !== undefined;
      visible = held && store.visible(cid!);
    } catch {
      // Not a CID: answered below or by serveGateway.
    }
    if (held && !visible) faults.served.push("gateway:not-yet-visible");
    if (req.method === "HEAD" && cid !== undefined) {
      const cachedOnly = /only-if-cached/.test(req.headers["cache-control"] ?? "");
      return void res.writeHead(visible ? 200 : cachedOnly ? 412 : 404).end();
    }
    if (!(await serveGateway(store, faults, req, res, url))) res.writeHead(404).end();
  });

  return serviceStandIn(state, api, gateway);
}
