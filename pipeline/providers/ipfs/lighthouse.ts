import type { CID } from "multiformats/cid";
import { z } from "zod";
import { ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import { errorText, postCarForm } from "./car-form.js";
import { gatewayUrl } from "./gateway-url.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { httpError } from "./http-errors.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const LIGHTHOUSE = "lighthouse";

/** `dag/import`'s answer as the SDK types it (`IFileUploadedResponse`); the CID is `Hash`. */
const UploadedSchema = z.object({ Name: z.string().optional(), Hash: z.string().min(1), Size: z.unknown() });

/**
 * How Lighthouse says an account's storage is used up is not documented (UNCONFIRMED): any refusal whose
 * text speaks of a limit, quota, balance or payment (or a 402) is taken as that, so it is neither retried
 * nor mistaken for a bad key; a 429 stays a rate limit whatever it says.
 */
const QUOTA_WORDS =
  /quota|limit (exceeded|reached)|exceed(s|ed)? (the )?(storage|data|limit)|insufficient|balance|payment required|upgrade/i;

const QUOTA_HINT =
  "the Lighthouse account's storage is used up: add storage or balance at files.lighthouse.storage, then run again";

/**
 * Lighthouse over HTTP, as the SDK's `uploadCAR` sends it: our CAR as the multipart `file` (a name ending
 * in `.car`) to `<api>/api/v0/dag/import` with `Authorization: Bearer <key>`; the root comes back in
 * `Hash`. Plain fetch rather than `@lighthouse-web3/sdk`: `uploadCAR` takes only a path on disk (the CAR
 * would have to be written out first), its endpoint is fixed in the package's config, its errors keep
 * neither the body nor Retry-After, and it brings ethers and a BLS library along.
 *
 * `holds` asks the gateway, with a HEAD and `Cache-Control: only-if-cached` (IPFS gateway spec: answer
 * from what the gateway has, 412 rather than fetching it from elsewhere). The SDK offers no cheap
 * per-account check: `getUploads` pages through every upload of the account, and `getFileInfo` is
 * unauthenticated and says nothing about whose upload it was.
 */
export class LighthouseProvider extends RemoteIpfsProvider {
  readonly name = LIGHTHOUSE;
  readonly #api: string;
  readonly #authorization: string;

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions & { apiKey: string; apiUrl: string }) {
    super(node, options);
    this.#api = options.apiUrl.replace(/\/+$/, "");
    this.#authorization = `Bearer ${options.apiKey}`;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const answer = await postCarForm(`${this.#api}/api/v0/dag/import`, {
      car: this.carStream(cid, request.signal),
      filename: `${cid}.car`,
      headers: { authorization: this.#authorization },
      signal: request.signal,
      onSent: request.onSent,
    });
    if (!answer.ok) throw await this.#error(answer, `uploading ${cid}`);
    const body = UploadedSchema.safeParse(await answer.json().catch(() => undefined));
    if (!body.success) {
      throw new ProviderError("BAD_ANSWER", `the upload of ${cid} was answered without a Hash`, {
        provider: this.name,
        status: answer.status,
        hint: "Lighthouse changed its answer; report it with the run's log",
      });
    }
    return body.data.Hash;
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const answer = await fetch(gatewayUrl(cid.toString(), this.gateway()), {
      method: "HEAD",
      headers: { "cache-control": "only-if-cached" },
      signal,
    });
    if (answer.ok) return true;
    if (answer.status === 404 || answer.status === 412) return false;
    throw httpError(this.name, answer.status, `checking ${cid} on the gateway`, {
      retryAfter: answer.headers.get("retry-after"),
    });
  }

  async #error(answer: Response, what: string): Promise<ProviderError> {
    const text = await errorText(answer);
    const message = messageOf(text) || answer.statusText;
    const detail = `${what}: ${message}`;
    if (isQuota(answer.status, message)) {
      return new ProviderError("QUOTA", detail, {
        provider: this.name,
        status: answer.status,
        hint: QUOTA_HINT,
      });
    }
    return httpError(this.name, answer.status, detail, {
      retryAfter: answer.headers.get("retry-after"),
      hint:
        answer.status === 401 || answer.status === 403
          ? "check LIGHTHOUSE_API_KEY (files.lighthouse.storage → API key)"
          : undefined,
    });
  }
}

/** 402, or a refusal (not a rate limit) in the quota's words. */
function isQuota(status: number, message: string): boolean {
  if (status === 402) return true;
  return status >= 400 && status < 500 && status !== 408 && status !== 429 && QUOTA_WORDS.test(message);
}

/** The `error`/`message` of a JSON error body, or the start of a text one. */
function messageOf(text: string): string {
  try {
    const body = z.object({ error: z.unknown(), message: z.unknown() }).partial().parse(JSON.parse(text));
    const value = body.error ?? body.message;
    if (typeof value === "string") return value;
    if (value !== undefined) return JSON.stringify(value).slice(0, 300);
  } catch {
    // Not JSON: a proxy's or the framework's text answer.
  }
  return text.trim().slice(0, 300);
}
