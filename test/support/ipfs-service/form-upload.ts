import type { IncomingMessage } from "node:http";
import { importer } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { type Fault, FaultPlan } from "./faults.js";
import { type HttpService, readBody } from "./http-service.js";
import { ServiceStore } from "./service-store.js";

/** What a push-and-verify service stand-in gives a test. */
export interface ServiceStandIn {
  /** The upload API's base URL. */
  url: string;
  /** The service's path gateway. */
  gatewayUrl: string;
  store: ServiceStore;
  faults: FaultPlan;
  /** Every upload-API request as received. */
  received: ReceivedRequest[];
  /** Roots the service stored while it reported another CID (`wrong-cid`). */
  misreported: Array<{ stored: string; reported: string }>;
  close(): Promise<void>;
}

/** What a contract test checks of a request: the documented shape, as the service received it. */
export type StandInState = Pick<ServiceStandIn, "store" | "faults" | "received" | "misreported">;

export function standInState(invisibleMs?: number): StandInState {
  return { store: new ServiceStore({ invisibleMs }), faults: new FaultPlan(), received: [], misreported: [] };
}

/** A stand-in of its state and its two servers: the upload API and the gateway. */
export function serviceStandIn(state: StandInState, api: HttpService, gateway: HttpService): ServiceStandIn {
  return {
    ...state,
    url: api.url,
    gatewayUrl: gateway.url,
    async close() {
      await Promise.all([api.close(), gateway.close()]);
    },
  };
}

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

/** The root a service reports for a CAR it stored: the one it read, or under `wrong-cid` another DAG's. */
export async function reportedRoot(
  standIn: StandInState,
  root: CID,
  fault: Fault | undefined,
): Promise<string> {
  if (fault?.kind !== "wrong-cid") return root.toString();
  const reported = await anotherDagOf(standIn.store, root);
  standIn.misreported.push({ stored: root.toString(), reported });
  return reported;
}

/**
 * The CID a service reports when it stored another DAG than the one it was sent: the same file added
 * with a node's classic defaults (CIDv0, 256 KiB chunks), which never equals a CAR root of ours.
 */
async function anotherDagOf(store: ServiceStore, root: CID): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.cat(root)) chunks.push(chunk);
  const discard = { put: async (cid: CID) => cid };
  let other: CID | undefined;
  for await (const entry of importer([{ content: chunks }], discard, { cidVersion: 0, rawLeaves: false }))
    other = entry.cid;
  return other!.toString();
}
