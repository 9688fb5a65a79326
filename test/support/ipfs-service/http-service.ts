import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FaultPlan } from "./faults.js";
import type { ServiceStore } from "./service-store.js";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface HttpService {
  url: string;
  /** Requests received, `METHOD /path`, in order: what the client actually sent. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 on a free port; an exception in it answers 500, as a crashed service does. */
export async function startHttpService(handler: Handler): Promise<HttpService> {
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push(`${req.method} ${url.pathname}`);
    try {
      await handler(req, res, url);
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: (error as Error).message });
      else res.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** Reads a request body whole (the stand-ins' requests are small or already bounded by the test). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Answers an upload cut off midway: reads some of the body, then fails with a 5xx and closes the
 * connection, so the client sees its request body refused after it started sending.
 */
export async function failMidUpload(req: IncomingMessage, res: ServerResponse, status = 502): Promise<void> {
  for await (const _chunk of req) break;
  res.writeHead(status, { connection: "close", "content-type": "text/plain" }).end("upstream failed");
  req.destroy();
}

/**
 * A path gateway (`GET /ipfs/<cid>`, `?format=car` for the trustless form) over the service's store: 404
 * until a fresh root is visible, the file's bytes after, and a flipped byte when the plan says `tamper`.
 * Returns false when the request is not a gateway request.
 */
export async function serveGateway(
  store: ServiceStore,
  faults: FaultPlan,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  // A CID, or a path under one (a folder's file).
  const match = /^\/ipfs\/([^?]+)$/.exec(url.pathname);
  if (req.method !== "GET" || match === null) return false;
  const cid = match[1]!;
  const fault = faults.take("gateway");
  if (fault?.kind === "rate-limit") {
    res
      .writeHead(429, fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) })
      .end();
    return true;
  }
  if (fault?.kind === "server-error") {
    res.writeHead(fault.status ?? 502).end();
    return true;
  }
  let visible = false;
  try {
    visible = store.visible(cid);
  } catch {
    res.writeHead(400).end("invalid CID");
    return true;
  }
  if (!visible) {
    res.writeHead(404).end("not found");
    return true;
  }
  const asCar = url.searchParams.get("format") === "car" || /car/.test(req.headers.accept ?? "");
  res.writeHead(200, { "content-type": asCar ? "application/vnd.ipld.car" : "application/octet-stream" });
  for await (const chunk of served(asCar ? store.car(cid) : store.cat(cid), fault?.kind === "tamper"))
    res.write(chunk);
  res.end();
  return true;
}

/** The bytes a service sends, with the first one flipped when it tampers with them. */
export async function* served(
  chunks: AsyncIterable<Uint8Array>,
  tamper: boolean,
): AsyncGenerator<Uint8Array> {
  let first = tamper;
  for await (const chunk of chunks) {
    if (first && chunk.length > 0) {
      const copy = Uint8Array.from(chunk);
      copy[0] = copy[0]! ^ 0xff;
      first = false;
      yield copy;
    } else yield chunk;
  }
}
