import { createHash, randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { type Fault, FaultPlan } from "./faults.js";
import { failMidUpload, readBody, serveGateway, startHttpService } from "./http-service.js";
import { CarRefused, ServiceStore } from "./service-store.js";
import { SignatureRefused, sha256Hex, verifySigV4 } from "./sigv4.js";

/** One request as the stand-in received it: what the client actually sent. */
export interface S3Request {
  /** put, create-multipart, part, complete, abort, head, head-bucket. */
  operation: string;
  method: string;
  /** The path as sent: path style, `/<bucket>/<key>`. */
  path: string;
  key: string;
  partNumber?: number;
  headers: IncomingHttpHeaders;
}

export interface StoredS3Object {
  cid: string;
  size: number;
  etag: string;
  metadata: Record<string, string>;
  contentType?: string;
}

export interface FilebaseService {
  /** The S3 endpoint (FILEBASE_ENDPOINT). */
  endpoint: string;
  /** The IPFS gateway (FILEBASE_GATEWAY_URL). */
  gateway: string;
  store: ServiceStore;
  faults: FaultPlan;
  objects: Map<string, StoredS3Object>;
  /** Signed requests that passed the signature check, in order. */
  requests: S3Request[];
  /** Requests whose signature was refused, `METHOD /path CODE`. */
  refused: string[];
  close(): Promise<void>;
}

export interface FilebaseServiceOptions {
  accessKey: string;
  secretKey: string;
  /** The one IPFS bucket the account has. */
  bucket: string;
  /** Milliseconds a fresh root 404s on the gateway. */
  invisibleMs?: number;
  /** Smallest part but the last (S3 and Filebase: 5 MiB); tests lower it to use small files. */
  minPartSize?: number;
}

interface Upload {
  key: string;
  metadata: Record<string, string>;
  contentType?: string;
  parts: Map<number, { bytes: Buffer; etag: string }>;
}

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");
const xmlText = (text: string) => text.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Filebase's S3 API for IPFS buckets, the part DCMX Mint uses, path style, as a Filebase IPFS bucket
 * behaves: every request's SigV4 signature is checked with the account's key pair (a wrong secret is a
 * 403 SignatureDoesNotMatch, region us-east-1), signed payload hashes are checked, and an object put with
 * `x-amz-meta-import: car` is imported as a CAR (every block verified, one root, complete DAG) and
 * answered with `x-amz-meta-cid: <root it verified>`; without that header the bytes are stored as a file
 * and the CID is the service's own chunking. The PUT response carries the CID; CompleteMultipartUpload does
 * not (Filebase documents the CID only for PUT and HeadObject), so a multipart client must ask HeadObject.
 * Errors are S3's XML bodies. Faults by operation (`put`, `create-multipart`, `part` or `part:<n>` for
 * one part, `complete`, `head`, `gateway`): `rate-limit` (429, or 503 SlowDown), `server-error` (5xx after part of the body),
 * `quota` (403 QuotaExceeded: Filebase's code is not documented, this one is modelled), `auth` (403
 * AccessDenied), `wrong-cid` (on `put`/`complete`: the CAR stored as plain bytes, so another root).
 */
export async function startFilebaseService(options: FilebaseServiceOptions): Promise<FilebaseService> {
  const store = new ServiceStore({ invisibleMs: options.invisibleMs });
  const faults = new FaultPlan();
  const objects = new Map<string, StoredS3Object>();
  const uploads = new Map<string, Upload>();
  const requests: S3Request[] = [];
  const refused: string[] = [];
  const minPartSize = options.minPartSize ?? 5 * 1024 * 1024;
  const keys = { accessKey: options.accessKey, secretKey: options.secretKey, region: "us-east-1" };

  const fail = (req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string) => {
    // A HEAD answer has no body, so S3 clients see only the status.
    if (req.method === "HEAD") return void res.writeHead(status).end();
    res
      .writeHead(status, { "content-type": "application/xml" })
      .end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlText(message)}</Message><Resource>${xmlText(req.url ?? "")}</Resource><RequestId>${randomUUID()}</RequestId></Error>`,
      );
  };

  /** Reads the body and holds it to the payload hash the client signed. */
  const body = async (req: IncomingMessage, payloadHash: string): Promise<Buffer | undefined> => {
    const bytes = await readBody(req);
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256Hex(bytes)) return undefined;
    return bytes;
  };

  /** Creates the object the way an IPFS bucket does, and answers the CID it now holds. */
  const create = async (
    key: string,
    bytes: Buffer,
    upload: Omit<Upload, "key" | "parts">,
    etag: string,
    wrongCid: boolean,
  ): Promise<StoredS3Object> => {
    const asCar = upload.metadata.import === "car" && !wrongCid;
    const root = asCar
      ? await store.importCar(
          (async function* () {
            yield bytes;
          })(),
        )
      : await store.addBytes(bytes);
    const object = {
      cid: root.cid.toString(),
      size: bytes.length,
      etag,
      contentType: upload.contentType,
      metadata: { ...upload.metadata, cid: root.cid.toString() },
    };
    objects.set(key, object);
    return object;
  };

  const answerFault = async (req: IncomingMessage, res: ServerResponse, fault: Fault): Promise<boolean> => {
    switch (fault.kind) {
      case "server-error":
        await failMidUpload(req, res, fault.status ?? 500);
        return true;
      case "rate-limit": {
        await readBody(req);
        const status = fault.status ?? 429;
        if (fault.retryAfter !== undefined) res.setHeader("retry-after", String(fault.retryAfter));
        fail(
          req,
          res,
          status,
          status === 503 ? "SlowDown" : "TooManyRequests",
          "Please reduce your request rate.",
        );
        return true;
      }
      case "quota":
        await readBody(req);
        fail(req, res, 403, "QuotaExceeded", "the storage quota of this account is exceeded");
        return true;
      case "auth":
        await readBody(req);
        fail(req, res, 403, "AccessDenied", "Access Denied");
        return true;
      default:
        return false;
    }
  };

  const s3 = await startHttpService(async (req, res, url) => {
    const [bucket = "", ...rest] = url.pathname.slice(1).split("/");
    const key = decodeURIComponent(rest.join("/"));
    let payloadHash: string;
    try {
      payloadHash = verifySigV4(req, keys);
    } catch (error) {
      if (!(error instanceof SignatureRefused)) throw error;
      refused.push(`${req.method} ${url.pathname} ${error.code}`);
      await readBody(req);
      return fail(
        req,
        res,
        error.code === "AuthorizationHeaderMalformed" ? 400 : 403,
        error.code,
        error.message,
      );
    }
    const params = url.searchParams;
    const operation = operationOf(req.method ?? "", key, params);
    const partNumber = params.has("partNumber") ? Number(params.get("partNumber")) : undefined;
    requests.push({
      operation,
      method: req.method ?? "",
      path: url.pathname,
      key,
      partNumber,
      headers: req.headers,
    });
    if (bucket !== options.bucket) {
      await readBody(req);
      return fail(req, res, 404, "NoSuchBucket", "The specified bucket does not exist");
    }
    const fault =
      (partNumber !== undefined ? faults.take(`part:${partNumber}`) : undefined) ?? faults.take(operation);
    if (fault !== undefined && (await answerFault(req, res, fault))) return;
    const wrongCid = fault?.kind === "wrong-cid";

    switch (operation) {
      case "head-bucket":
        return void res.writeHead(200).end();
      case "head": {
        const object = objects.get(key);
        if (object === undefined) return fail(req, res, 404, "NotFound", "Not Found");
        return void res
          .writeHead(200, {
            "content-length": object.size,
            etag: `"${object.etag}"`,
            "content-type": object.contentType ?? "application/octet-stream",
            ...Object.fromEntries(Object.entries(object.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
          })
          .end();
      }
      case "put": {
        const bytes = await body(req, payloadHash);
        if (bytes === undefined)
          return fail(req, res, 400, "XAmzContentSHA256Mismatch", "payload hash mismatch");
        try {
          const object = await create(key, bytes, uploadOf(req.headers), md5(bytes), wrongCid);
          return void res.writeHead(200, { etag: `"${object.etag}"`, "x-amz-meta-cid": object.cid }).end();
        } catch (error) {
          if (error instanceof CarRefused) return fail(req, res, 400, "InvalidRequest", error.message);
          throw error;
        }
      }
      case "create-multipart": {
        await readBody(req);
        const uploadId = randomUUID();
        uploads.set(uploadId, { key, ...uploadOf(req.headers), parts: new Map() });
        return xml(
          res,
          `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xmlText(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case "part": {
        const upload = uploads.get(params.get("uploadId") ?? "");
        const bytes = await body(req, payloadHash);
        if (upload === undefined || upload.key !== key)
          return fail(req, res, 404, "NoSuchUpload", "The specified upload does not exist");
        if (bytes === undefined)
          return fail(req, res, 400, "XAmzContentSHA256Mismatch", "payload hash mismatch");
        const etag = md5(bytes);
        upload.parts.set(partNumber!, { bytes, etag });
        return void res.writeHead(200, { etag: `"${etag}"` }).end();
      }
      case "complete": {
        const uploadId = params.get("uploadId") ?? "";
        const upload = uploads.get(uploadId);
        const listed = [...(await readBody(req)).toString().matchAll(/<Part>(.*?)<\/Part>/gs)].map(
          ([, part]) => ({
            number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part!)?.[1]),
            etag: /<ETag>(?:"|&quot;)?([0-9a-f]+)(?:"|&quot;)?<\/ETag>/.exec(part!)?.[1],
          }),
        );
        if (upload === undefined || upload.key !== key)
          return fail(req, res, 404, "NoSuchUpload", "The specified upload does not exist");
        const parts = listed.map(({ number, etag }, i) => {
          const part = upload.parts.get(number);
          if (part === undefined || part.etag !== etag || (i > 0 && number <= listed[i - 1]!.number))
            return undefined;
          return part;
        });
        if (listed.length === 0 || parts.includes(undefined))
          return fail(req, res, 400, "InvalidPart", "One or more of the specified parts could not be found");
        if (parts.slice(0, -1).some((part) => part!.bytes.length < minPartSize))
          return fail(
            req,
            res,
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
          );
        const whole = Buffer.concat(parts.map((part) => part!.bytes));
        const etag = `${md5(Buffer.concat(parts.map((part) => Buffer.from(part!.etag, "hex"))))}-${parts.length}`;
        try {
          await create(key, whole, upload, etag, wrongCid);
        } catch (error) {
          if (error instanceof CarRefused) return fail(req, res, 400, "InvalidRequest", error.message);
          throw error;
        }
        uploads.delete(uploadId);
        return xml(
          res,
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xmlText(key)}</Key><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`,
        );
      }
      case "abort":
        uploads.delete(params.get("uploadId") ?? "");
        return void res.writeHead(204).end();
      default:
        await readBody(req);
        return fail(
          req,
          res,
          501,
          "NotImplemented",
          `${req.method} ${url.pathname}${url.search} is not implemented`,
        );
    }
  });

  const gateway = await startHttpService(async (req, res, url) => {
    if (!(await serveGateway(store, faults, req, res, url))) res.writeHead(404).end();
  });

  const service: FilebaseService = {
    endpoint: s3.url,
    gateway: gateway.url,
    store,
    faults,
    objects,
    requests,
    refused,
    async close() {
      await Promise.all([s3.close(), gateway.close()]);
    },
  };
  return service;
}

function operationOf(method: string, key: string, params: URLSearchParams): string {
  if (method === "HEAD") return key === "" ? "head-bucket" : "head";
  if (method === "PUT") return params.has("uploadId") ? "part" : "put";
  if (method === "POST" && params.has("uploads")) return "create-multipart";
  if (method === "POST" && params.has("uploadId")) return "complete";
  if (method === "DELETE" && params.has("uploadId")) return "abort";
  return `${method.toLowerCase()}-unsupported`;
}

/** The object's user metadata (`x-amz-meta-*`) and type, as sent. */
function uploadOf(headers: IncomingHttpHeaders): Omit<Upload, "key" | "parts"> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (name.startsWith("x-amz-meta-") && typeof value === "string") metadata[name.slice(11)] = value;
  return { metadata, contentType: headers["content-type"] };
}

function xml(res: ServerResponse, body: string): void {
  res
    .writeHead(200, { "content-type": "application/xml" })
    .end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}
