import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CarBlockIterator } from "@ipld/car";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import { assertBlockMatches } from "../../pipeline/providers/ipfs/guard.js";

export interface NftStorageServerOptions {
  token: string;
  /** Answer uploads with this CID instead of the CAR's root (a lying provider). */
  lieCid?: string;
  /** Flip one byte of every file it serves back (a tampering gateway). */
  tamper?: boolean;
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

/**
 * NFT.Storage's documented HTTP API on 127.0.0.1 (POST /upload with a CAR, GET /<cid> status,
 * DELETE /<cid>, GET / listing newest first with `before` and `limit`) plus a path gateway
 * (/ipfs/<cid>). Every block received is hash-checked; a CAR with a bad block is refused like the
 * real service does.
 */
export async function startNftStorageServer(options: NftStorageServerOptions) {
  const blocks = new Map<string, Uint8Array>();
  const roots = new Map<string, { created: string; size: number }>();
  /** CARs accepted per root CID, so a test can tell that nothing was sent twice. */
  const uploads = new Map<string, number>();
  const blockstore = {
    async *get(cid: CID) {
      const bytes = blocks.get(cid.toString());
      if (bytes === undefined) throw new Error(`block ${cid} not found`);
      yield bytes;
    },
  };

  async function upload(req: IncomingMessage, res: ServerResponse) {
    const car = await CarBlockIterator.fromIterable(req);
    const [root] = await car.getRoots();
    let size = 0;
    try {
      for await (const block of car) {
        await assertBlockMatches("client", CID.asCID(block.cid)!, block.bytes);
        blocks.set(block.cid.toString(), block.bytes);
        size += block.bytes.length;
      }
    } catch (error) {
      json(res, 400, { ok: false, error: { message: (error as Error).message } });
      return;
    }
    roots.set(root!.toString(), { created: new Date().toISOString(), size });
    uploads.set(root!.toString(), (uploads.get(root!.toString()) ?? 0) + 1);
    json(res, 200, { ok: true, value: { cid: options.lieCid ?? root!.toString() } });
  }

  const status = (cid: string, stored: { created: string; size: number }) => ({
    cid,
    size: stored.size,
    created: stored.created,
    pin: { cid, status: "pinned", created: stored.created },
    deals: [],
  });

  /** `GET /?before=<ISO date>&limit=<1..1000, default 10>`: uploads created before `before`, newest first. */
  function list(url: URL, res: ServerResponse) {
    const limit = Number(url.searchParams.get("limit") ?? 10);
    const beforeParam = url.searchParams.get("before");
    const before = beforeParam === null ? Number.POSITIVE_INFINITY : Date.parse(beforeParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || Number.isNaN(before)) {
      return json(res, 400, { ok: false, error: { message: "invalid before or limit" } });
    }
    const value = [...roots]
      .filter(([, stored]) => Date.parse(stored.created) < before)
      .sort(([, a], [, b]) => Date.parse(b.created) - Date.parse(a.created))
      .slice(0, limit)
      .map(([cid, stored]) => ({
        ...status(cid, stored),
        type: "application/car",
        scope: "default",
        files: [],
      }));
    return json(res, 200, { ok: true, value });
  }

  async function serveFile(cid: string, res: ServerResponse) {
    const entry = await exporter(CID.parse(cid), blockstore as never);
    if (entry.type !== "file" && entry.type !== "raw") throw new Error(`${cid} is not a file`);
    res.writeHead(200, { "content-type": "application/octet-stream" });
    let first = true;
    for await (const chunk of entry.content()) {
      const out =
        options.tamper && first
          ? Uint8Array.from(chunk as Uint8Array, (b, i) => (i === 0 ? b ^ 1 : b))
          : chunk;
      first = false;
      res.write(out);
    }
    res.end();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const handle = async () => {
      if (path.startsWith("/ipfs/")) return serveFile(path.slice(6), res);
      if (req.headers.authorization !== `Bearer ${options.token}`) {
        return json(res, 401, { ok: false, error: { message: "Unauthorized" } });
      }
      if (req.method === "POST" && path === "/upload/") return upload(req, res);
      if (req.method === "GET" && path === "/") return list(url, res);
      const cid = path.replace(/^\/|\/$/g, "");
      const stored = roots.get(cid);
      if (stored === undefined) return json(res, 404, { ok: false, error: { message: "not found" } });
      if (req.method === "DELETE") {
        roots.delete(cid);
        return json(res, 200, { ok: true });
      }
      return json(res, 200, { ok: true, value: status(cid, stored) });
    };
    handle().catch((error: unknown) => json(res, 500, { ok: false, error: { message: String(error) } }));
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    uploads,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
