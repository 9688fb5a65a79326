import type { CID } from "multiformats/cid";
import { z } from "zod";
import { ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import { errorText, postCarForm } from "./car-form.js";
import type { KuboConfig } from "./config.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { httpError } from "./http-errors.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const KUBO = "kubo";

/** One line of `dag/import`'s NDJSON answer that names a root (`Stats` lines are skipped). */
const ImportedRootSchema = z.object({
  Root: z.object({ Cid: z.object({ "/": z.string().min(1) }), PinErrorMsg: z.string().optional() }),
});

/** `pin/ls`'s answer for one CID. */
const PinListSchema = z.object({ Keys: z.record(z.string(), z.object({ Type: z.string() })) });

/** Kubo's error body for a command that failed (HTTP 500, sometimes 400). */
const KuboErrorSchema = z.object({ Message: z.string(), Code: z.number().optional(), Type: z.string() });

/** Kubo's words for "this node does not have it"; answered as errors, not as empty results. */
const NOT_HELD = /not pinned|not found locally|could not find/i;
/** A full disk or datastore: permanent until someone frees space. */
const OUT_OF_SPACE = /no space left on device|storage ?max|quota|disk full/i;

const AUTH_HINT =
  "check KUBO_RPC_AUTH (user:password or Bearer <token>) against the node's API.Authorizations";

/**
 * A Kubo node over its RPC API — the user's own node, or a Kubo-compatible hosted RPC such as Filebase's
 * (`https://rpc.filebase.io`, `Bearer` token). Our CAR goes to `dag/import` with its root pinned, so the
 * node never re-chunks the file its own way, and the root it reports is compared with ours.
 *
 * Plain fetch with the documented request shapes rather than kubo-rpc-client: the multipart CAR upload
 * is the same one Lighthouse takes (one streaming helper for both), and every failure needs the raw
 * answer — a reverse proxy's 429 and its Retry-After, Kubo's JSON `Message` that tells a full disk from
 * a passing fault, "not pinned" sent as an error.
 */
export class KuboProvider extends RemoteIpfsProvider {
  readonly name = KUBO;
  readonly #rpc: string;
  readonly #headers: Record<string, string>;
  readonly #hasGateway: boolean;

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions & KuboConfig) {
    super(node, options);
    this.#rpc = `${options.url.replace(/\/+$/, "")}/api/v0`;
    this.#headers = options.authorization === undefined ? {} : { authorization: options.authorization };
    this.#hasGateway = options.gateway !== undefined;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const answer = await postCarForm(`${this.#rpc}/dag/import?pin-roots=true`, {
      car: this.carStream(cid, request.signal),
      filename: `${cid}.car`,
      headers: this.#headers,
      signal: request.signal,
      onSent: request.onSent,
    });
    if (!answer.ok) throw await this.#error(answer, `importing ${cid}`);
    for (const line of (await answer.text()).split("\n")) {
      if (line.trim() === "") continue;
      const parsed = ImportedRootSchema.safeParse(JSON.parse(line));
      if (!parsed.success) continue;
      const { Cid, PinErrorMsg } = parsed.data.Root;
      if (PinErrorMsg) {
        throw new ProviderError("PIN_FAILED", `dag import could not pin ${Cid["/"]}: ${PinErrorMsg}`, {
          provider: this.name,
          hint: "the node took the blocks but not the pin; check its repo and logs, then run again",
        });
      }
      return Cid["/"];
    }
    // An error after the answer started travels in the X-Stream-Error trailer, which fetch cannot read.
    throw new ProviderError("NO_ROOT", `dag import of ${cid} ended without reporting a root`, {
      provider: this.name,
      retryable: true,
      hint: "the node's log names the stream error",
    });
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const answer = await this.#command("pin/ls", { arg: cid.toString(), type: "recursive" }, signal);
    if (answer.ok) {
      const { Keys } = PinListSchema.parse(await answer.json());
      return Object.values(Keys).some((pin) => pin.Type === "recursive");
    }
    const error = await this.#error(answer, `checking the pin of ${cid}`);
    if (NOT_HELD.test(error.message)) return false;
    throw error;
  }

  /** Through KUBO_GATEWAY_URL when set, else the RPC's own `cat` (offline: never a network search). */
  protected override async read(cid: string, signal?: AbortSignal): Promise<Response | undefined> {
    if (this.#hasGateway) return super.read(cid, signal);
    const answer = await this.#command("cat", { arg: cid, offline: "true" }, signal);
    if (answer.ok && answer.body !== null) return answer;
    const error = await this.#error(answer, `reading ${cid}`);
    if (NOT_HELD.test(error.message)) return undefined;
    throw error;
  }

  #command(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const url = `${this.#rpc}/${path}?${new URLSearchParams(query)}`;
    return fetch(url, { method: "POST", headers: this.#headers, signal });
  }

  /** A failed answer as our error: Kubo's JSON `Message` when it sent one, the status otherwise. */
  async #error(answer: Response, what: string): Promise<ProviderError> {
    const text = await errorText(answer);
    const parsed = (() => {
      try {
        return KuboErrorSchema.safeParse(JSON.parse(text));
      } catch {
        return undefined;
      }
    })();
    const message = parsed?.success
      ? parsed.data.Message
      : (/<title>([^<]*)<\/title>/i.exec(text)?.[1] ?? text);
    const detail = `${what}: ${message.trim().slice(0, 300) || answer.statusText}`;
    if (OUT_OF_SPACE.test(message)) {
      return new ProviderError("QUOTA", detail, {
        provider: this.name,
        status: answer.status,
        hint: "the node is out of space: free disk or raise Datastore.StorageMax (hosted: the plan's storage), then run again",
      });
    }
    return httpError(this.name, answer.status, detail, {
      retryAfter: answer.headers.get("retry-after"),
      hint: answer.status === 401 || answer.status === 403 ? AUTH_HINT : undefined,
    });
  }
}
