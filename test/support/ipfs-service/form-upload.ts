import type { IncomingMessage } from "node:http";
import { importer } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { readBody } from "./http-service.js";
import type { ServiceStore } from "./service-store.js";

/** What a contract test checks of a request: the documented shape, as the service received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  contentType?: string;
  /** The multipart file part of an upload: its field name, file name and type. */
  part?: { field: string; filename: string; type: string };
}

export function received(req: IncomingMessage, url: URL): ReceivedRequest {
  return {
    method: req.method ?? "",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    authorization: req.headers.authorization,
    contentType: req.headers["content-type"],
  };
}

/**
 * Reads a multipart upload with undici's form parser (what the services' frameworks do with it) and
 * returns its first file part, or undefined when the form has none. A malformed form throws.
 */
export async function readFormFile(
  req: IncomingMessage,
  seen: ReceivedRequest,
): Promise<{ file: File } | undefined> {
  const form = await new Request("http://stand-in/", {
    method: "POST",
    headers: { "content-type": req.headers["content-type"] ?? "" },
    body: await readBody(req),
  }).formData();
  for (const [field, value] of form) {
    if (typeof value === "string") continue;
    seen.part = { field, filename: value.name, type: value.type };
    return { file: value };
  }
  return undefined;
}

/**
 * The CID a service reports when it stored another DAG than the one it was sent: the same file added
 * with a node's classic defaults (CIDv0, 256 KiB chunks), which never equals a CAR root of ours.
 */
export async function anotherDagOf(store: ServiceStore, root: CID): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.cat(root)) chunks.push(chunk);
  const discard = { put: async (cid: CID) => cid };
  let other: CID | undefined;
  for await (const entry of importer([{ content: chunks }], discard, { cidVersion: 0, rawLeaves: false }))
    other = entry.cid;
  return other!.toString();
}
