import { once } from "node:events";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";

/** What the proxy does with one request, decided by the test's rule before anything is forwarded. */
export type FaultAction =
  | { kind: "forward" }
  /** Answer without forwarding: the upstream never sees the request. */
  | { kind: "respond"; status: number; body: string; headers?: Record<string, string> }
  /** Flip one byte in the middle of the request body (stored corrupted) or of the answer body (served corrupted). */
  | { kind: "tamper"; what: "request" | "answer" }
  /** Close the connection without answering (a server that died before the request arrived). */
  | { kind: "drop" }
  /** Forward, let the upstream act on it, then close the connection unanswered (the answer was lost). */
  | { kind: "lose-answer" };

export interface FaultRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** The request body, read in full: requests through this proxy are small test uploads and JSON-RPC calls. */
  body: Buffer;
}

export interface FaultProxy {
  url: string;
  /** Requests seen, with the action taken, in order. */
  log: Array<{ method: string; url: string; action: FaultAction["kind"] }>;
  setRule(rule: (req: FaultRequest) => FaultAction | Promise<FaultAction>): void;
  /** Points the proxy at another upstream (a restarted server on a new port). */
  setUpstream(url: string): void;
  close(): Promise<void>;
}

/**
 * An HTTP reverse proxy on loopback in front of a real server (the local S3, a `hardhat node`) that
 * injects faults by rule: error answers, dropped connections, tampered bodies. Everything else passes
 * through unchanged, so the pipeline talks to the real server's protocol.
 */
export async function startFaultProxy(
  upstream: string,
  options: {
    /** Forward the client's Host header: a server that checks SigV4 signatures (RGW) sees what was signed. */
    keepHost?: boolean;
  } = {},
): Promise<FaultProxy> {
  let target = new URL(upstream);
  let rule: (req: FaultRequest) => FaultAction | Promise<FaultAction> = () => ({ kind: "forward" });
  const log: FaultProxy["log"] = [];

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body };
    const action = await rule(seen);
    log.push({ method: seen.method, url: seen.url, action: action.kind });
    if (action.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (action.kind === "respond") {
      res.writeHead(action.status, { "content-type": "application/xml", ...action.headers });
      res.end(action.body);
      return;
    }
    const upstreamReq = request(
      {
        host: target.hostname,
        port: target.port,
        method: seen.method,
        path: seen.url,
        headers: { ...req.headers, host: options.keepHost ? req.headers.host : target.host },
      },
      async (upstreamRes) => {
        const answer: Buffer[] = [];
        for await (const chunk of upstreamRes) answer.push(chunk as Buffer);
        const payload = Buffer.concat(answer);
        if (action.kind === "lose-answer") {
          req.socket.destroy();
          return;
        }
        if (action.kind === "tamper" && action.what === "answer") flipMiddleByte(payload);
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        res.end(payload);
      },
    );
    upstreamReq.on("error", () => req.socket.destroy());
    if (action.kind === "tamper" && action.what === "request") flipMiddleByte(body);
    upstreamReq.end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setRule: (next) => {
      rule = next;
    },
    setUpstream: (url) => {
      target = new URL(url);
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function flipMiddleByte(bytes: Buffer): void {
  if (bytes.length > 0) bytes[bytes.length >> 1]! ^= 0xff;
}

/** S3's throttling answer, as Storj's gateway and AWS send it. */
export function slowDown(message = "Please reduce your request rate."): FaultAction {
  return {
    kind: "respond",
    status: 503,
    headers: { "retry-after": "0" },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>${message}</Message></Error>`,
  };
}

export function internalError(message = "We encountered an internal error. Please try again."): FaultAction {
  return {
    kind: "respond",
    status: 500,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>${message}</Message></Error>`,
  };
}

/** A Storj project limit as its S3 gateway answers it: 403 with the limit's code (storj/gateway-st miniogw). */
export function storjLimit(
  code: "StorageLimitExceeded" | "BandwidthLimitExceeded" | "SegmentsLimitExceeded",
): FaultAction {
  return {
    kind: "respond",
    status: 403,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>Exceeded Usage Limit</Message><Resource>/</Resource><RequestId></RequestId></Error>`,
  };
}
