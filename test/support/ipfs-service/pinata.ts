import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
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

/** One request as the stand-in received it: what a contract test compares with Pinata's documented shape. */
export interface ReceivedCall {
  host: "uploads" | "api" | "gateway";
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Multipart text fields of a simple upload. */
  fields?: Record<string, string>;
  file?: { filename: string; type: string; size: number };
  /** The status answered, once the answer is sent. */
  status?: number;
}

interface Session {
  length: number;
  metadata: Record<string, string>;
  chunks: Buffer[];
  offset: number;
  /** PATCH requests received, so a fault can hit the n-th (`patch:<n>`). */
  patches: number;
  /** Answer the finished upload with another DAG's CID (`wrong-cid`). */
  lie: boolean;
}

interface FileRecord {
  id: string;
  name: string;
  cid: string;
  size: number;
  network: string;
  mime_type: string;
  created_at: string;
}

export interface PinataService {
  /** PINATA_UPLOAD_URL, PINATA_API_URL and PINATA_GATEWAY_URL of the stand-in: three hosts, as at Pinata. */
  uploadUrl: string;
  apiUrl: string;
  gatewayUrl: string;
  store: ServiceStore;
  /**
   * Operations: `upload` (simple POST and TUS creation), `patch` (any TUS chunk) or `patch:<n>` (a session's
   * n-th PATCH), `list`, `gateway`.
   */
  faults: FaultPlan;
  calls: ReceivedCall[];
  /** Bytes of TUS PATCH bodies received, kept or not: a client that restarts instead of resuming sends more. */
  patchBytes(): number;
  close(): Promise<void>;
}

/**
 * A stand-in for Pinata's v3 Files API (uploads.pinata.cloud, api.pinata.cloud, a dedicated gateway) as
 * the `pinata` SDK 2.5.6 speaks it: Bearer JWT on every API call; `POST /v3/files` multipart (`file`,
 * `network`, `name`, `car`) answering `{ data: { cid, … } }`; TUS (`POST` with `Upload-Length` and
 * `Upload-Metadata`, `PATCH` at `Upload-Offset`, `HEAD`), the last chunk answered with `upload-cid`;
 * `GET /v3/files/public?cid=` answering `{ data: { files, next_page_token } }`.
 *
 * With `car=true` the CAR is imported and verified and its root reported; without it the bytes are stored
 * as a file chunked the service's way, so a client that forgets the flag gets another CID, as it would at
 * Pinata. What Pinata really does with a CAR is not documented; `wrong-cid` models the outcome we fear
 * (the CAR kept as an ordinary file). The quota answer (403 naming the plan limit) and the error bodies
 * are modelled: Pinata documents neither.
 */
export async function startPinataService(options: {
  jwt: string;
  invisibleMs?: number;
}): Promise<PinataService> {
  const store = new ServiceStore({ invisibleMs: options.invisibleMs });
  const faults = new FaultPlan();
  const calls: ReceivedCall[] = [];
  const sessions = new Map<string, Session>();
  const files: FileRecord[] = [];
  let patchBytes = 0;

  const unauthorized = (res: ServerResponse) =>
    json(res, 401, { error: { reason: "INVALID_CREDENTIALS", details: "Invalid or expired JWT" } });
  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.headers.authorization === `Bearer ${options.jwt}`) return true;
    unauthorized(res);
    return false;
  };

  /** Renders a fault as Pinata would; true when that answered the request (`wrong-cid` is the handler's). */
  const refuse = async (fault: Fault | undefined, req: IncomingMessage, res: ServerResponse) => {
    switch (fault?.kind) {
      case "rate-limit":
        json(
          res,
          429,
          { error: "Too Many Requests" },
          fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) },
        );
        return true;
      case "server-error":
        await failMidUpload(req, res, fault.status ?? 502);
        return true;
      case "quota":
        json(res, 403, {
          error: {
            reason: "PLAN_LIMIT_EXCEEDED",
            details: "Account usage is over the plan limit; upgrade your plan",
          },
        });
        return true;
      case "auth":
        unauthorized(res);
        return true;
      default:
        return false;
    }
  };

  const keep = async (bytes: Uint8Array | AsyncIterable<Uint8Array>, car: boolean, lie: boolean) => {
    if (!car || lie) return store.addBytes(bytes instanceof Uint8Array ? bytes : await collect(bytes));
    return store.importCar(bytes instanceof Uint8Array ? Readable.from([bytes]) : bytes);
  };

  const record = (stored: StoredRoot, name: string, network: string, mime: string): FileRecord => {
    const file = {
      id: randomUUID(),
      name,
      cid: stored.cid.toString(),
      size: stored.size,
      network,
      mime_type: mime,
      created_at: stored.created.toISOString(),
    };
    files.push(file);
    return file;
  };

  const uploads = await startHttpService(async (req, res, url) => {
    const call = received("uploads", req, url, res);
    calls.push(call);
    if (!authorized(req, res)) return;
    const session = /^\/v3\/files\/([^/]+)$/.exec(url.pathname)?.[1];
    if (url.pathname === "/v3/files" && req.method === "POST") {
      const fault = faults.take("upload");
      if (await refuse(fault, req, res)) return;
      const lie = fault?.kind === "wrong-cid";
      if (req.headers["upload-length"] !== undefined) return createSession(req, res, lie);
      return simpleUpload(req, res, url, call, lie);
    }
    if (session !== undefined && sessions.has(session)) {
      if (req.method === "HEAD") return head(res, sessions.get(session)!);
      if (req.method === "PATCH") return patch(req, res, session);
    }
    json(res, 404, { error: "Not Found" });
  });

  async function simpleUpload(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    call: ReceivedCall,
    lie: boolean,
  ): Promise<void> {
    const form = await new Request(url, {
      method: "POST",
      headers: { "content-type": req.headers["content-type"] ?? "" },
      body: Readable.toWeb(req) as ReadableStream,
      duplex: "half",
    } as RequestInit).formData();
    const fields: Record<string, string> = {};
    let file: File | undefined;
    for (const [key, value] of form) {
      if (typeof value === "string") fields[key] = value;
      else file = value;
    }
    call.fields = fields;
    if (file === undefined) return json(res, 400, { error: "file is required" });
    call.file = { filename: file.name, type: file.type, size: file.size };
    if (fields.network !== "public" && fields.network !== "private") {
      return json(res, 400, { error: "network must be public or private" });
    }
    let stored: StoredRoot;
    try {
      const stream = file.stream() as unknown as WebReadableStream<Uint8Array>;
      stored = await keep(Readable.fromWeb(stream), fields.car === "true", lie);
    } catch (error) {
      if (error instanceof CarRefused) return json(res, 400, { error: `invalid CAR: ${error.message}` });
      throw error;
    }
    const data = record(stored, fields.name ?? file.name, fields.network, file.type);
    json(res, 200, {
      data: { ...data, number_of_files: 1, group_id: null, keyvalues: {}, vectorized: false },
    });
  }

  function createSession(req: IncomingMessage, res: ServerResponse, lie: boolean): void {
    const length = Number(req.headers["upload-length"]);
    if (!Number.isSafeInteger(length) || length <= 0) {
      json(res, 400, { error: "bad Upload-Length" });
      return;
    }
    const metadata: Record<string, string> = {};
    for (const pair of String(req.headers["upload-metadata"] ?? "").split(",")) {
      const [key, value = ""] = pair.trim().split(" ");
      if (key) metadata[key] = Buffer.from(value, "base64").toString();
    }
    const id = randomUUID();
    sessions.set(id, { length, metadata, chunks: [], offset: 0, patches: 0, lie });
    res
      .writeHead(201, { location: `http://${req.headers.host}/v3/files/${id}`, "tus-resumable": "1.0.0" })
      .end();
  }

  function head(res: ServerResponse, session: Session): void {
    res
      .writeHead(200, {
        "upload-offset": String(session.offset),
        "upload-length": String(session.length),
        "cache-control": "no-store",
        "tus-resumable": "1.0.0",
      })
      .end();
  }

  async function patch(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const session = sessions.get(id)!;
    if (req.headers["content-type"] !== "application/offset+octet-stream") {
      return json(res, 415, { error: "Content-Type must be application/offset+octet-stream" });
    }
    if (Number(req.headers["upload-offset"]) !== session.offset) {
      return json(res, 409, { error: `Upload-Offset must be ${session.offset}` });
    }
    session.patches++;
    const fault = faults.take(`patch:${session.patches}`) ?? faults.take("patch");
    if (fault?.kind === "server-error") {
      // The connection breaks midway: what arrived before the break is kept, as a TUS server keeps it.
      for await (const piece of req) {
        const arrived = (piece as Buffer).subarray(0, Math.ceil((piece as Buffer).length / 2));
        session.chunks.push(arrived);
        session.offset += arrived.length;
        patchBytes += arrived.length;
        break;
      }
      res.writeHead(fault.status ?? 502, { connection: "close" }).end("upstream failed");
      req.destroy();
      return;
    }
    if (await refuse(fault, req, res)) return;
    const body = await readBody(req);
    patchBytes += body.length;
    if (session.offset + body.length > session.length)
      return json(res, 400, { error: "beyond Upload-Length" });
    session.chunks.push(body);
    session.offset += body.length;
    const headers: Record<string, string> = {
      "upload-offset": String(session.offset),
      "tus-resumable": "1.0.0",
    };
    if (session.offset === session.length) {
      sessions.delete(id);
      let stored: StoredRoot;
      try {
        stored = await keep(Buffer.concat(session.chunks), session.metadata.car === "true", session.lie);
      } catch (error) {
        if (error instanceof CarRefused) return json(res, 400, { error: `invalid CAR: ${error.message}` });
        throw error;
      }
      const name = session.metadata.filename ?? "upload";
      record(stored, name, session.metadata.network ?? "public", session.metadata.filetype ?? "");
      headers["upload-cid"] = stored.cid.toString();
    }
    res.writeHead(204, headers).end();
  }

  const api = await startHttpService(async (req, res, url) => {
    calls.push(received("api", req, url, res));
    if (!authorized(req, res)) return;
    const network = /^\/v3\/files\/(public|private)$/.exec(url.pathname)?.[1];
    if (req.method !== "GET" || network === undefined) return json(res, 404, { error: "Not Found" });
    if (await refuse(faults.take("list"), req, res)) return;
    const cid = url.searchParams.get("cid");
    const listed = files.filter((f) => f.network === network && (cid === null || f.cid === cid));
    json(res, 200, { data: { files: listed, next_page_token: "" } });
  });

  const gateway = await startHttpService(async (req, res, url) => {
    calls.push(received("gateway", req, url, res));
    if (!(await serveGateway(store, faults, req, res, url))) res.writeHead(404).end();
  });

  const services: HttpService[] = [uploads, api, gateway];
  return {
    uploadUrl: uploads.url,
    apiUrl: api.url,
    gatewayUrl: gateway.url,
    store,
    faults,
    calls,
    patchBytes: () => patchBytes,
    close: async () => {
      await Promise.all(services.map((service) => service.close()));
    },
  };
}

function received(
  host: ReceivedCall["host"],
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
): ReceivedCall {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) headers[key] = String(value);
  const call: ReceivedCall = {
    host,
    method: req.method ?? "",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
  };
  res.on("finish", () => {
    call.status = res.statusCode;
  });
  return call;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
