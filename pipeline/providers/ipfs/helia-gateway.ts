import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { VerifiedFetch } from "@helia/verified-fetch";
import type { Helia } from "helia";

/** `?format=` is the URL form of the Accept header (trustless-gateway spec); verified-fetch reads only the header. */
const FORMAT_MEDIA_TYPES: Record<string, string> = {
  raw: "application/vnd.ipld.raw",
  car: "application/vnd.ipld.car",
};

/** Request headers the trustless-gateway spec gives meaning to; the rest are not forwarded. */
const FORWARDED_HEADERS = ["accept", "range", "if-none-match", "cache-control"];

async function handle(
  verifiedFetch: () => Promise<VerifiedFetch>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://gateway");
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader(
    "access-control-expose-headers",
    "content-range, content-length, x-ipfs-path, x-ipfs-roots, etag",
  );
  if (req.method === "OPTIONS") {
    res.setHeader("access-control-allow-headers", "range, accept");
    res.writeHead(204).end();
    return;
  }
  if ((req.method !== "GET" && req.method !== "HEAD") || !url.pathname.startsWith("/ipfs/")) {
    res.writeHead(req.method === "GET" || req.method === "HEAD" ? 404 : 405).end();
    return;
  }
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  const format = url.searchParams.get("format");
  if (format !== null) {
    const mediaType = FORMAT_MEDIA_TYPES[format];
    if (mediaType === undefined) {
      res.writeHead(400).end(`unsupported format "${format}": expected raw or car`);
      return;
    }
    headers.set("accept", mediaType);
    url.searchParams.delete("format");
  }
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  // Sessions would look for other providers of the blocks; this node serves only what it has.
  const fetch = await verifiedFetch();
  const response = await fetch(`ipfs://${url.pathname.slice("/ipfs/".length)}${url.search}`, {
    method: req.method,
    headers,
    session: false,
    signal: abort.signal,
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body === null || req.method === "HEAD") {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res);
}

/**
 * A trustless gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/) over the node's local
 * blocks on 127.0.0.1: `/ipfs/<cid>` with `?format=raw|car` and byte ranges, answered by verified-fetch.
 * verified-fetch is loaded by the first request (or `warm`): it brings libp2p and its peers (~95 MB of
 * memory, ~1 s), and most runs serve no request (their own reads go to the node directly).
 */
export async function serveGateway(
  helia: Helia,
  port: number,
): Promise<{ url: string; warm(): Promise<void>; close(): Promise<void> }> {
  let fetch: Promise<VerifiedFetch> | undefined;
  const verifiedFetch = () =>
    (fetch ??= import("@helia/verified-fetch").then(({ createVerifiedFetchWithHelia }) =>
      createVerifiedFetchWithHelia(helia),
    ));
  const server = createServer((req, res) => {
    handle(verifiedFetch, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String((error as Error)?.message ?? error));
      else res.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    async warm() {
      await verifiedFetch();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await (await fetch?.catch(() => undefined))?.stop();
    },
  };
}
