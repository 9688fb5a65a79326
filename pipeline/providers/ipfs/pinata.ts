// Longer than 300 lines because it is one service's API: Pinata's v3 upload in both its forms (one POST, and
// TUS resumed from the server's offset) and its file listing, sharing one auth, error mapping and parsing.
import { createWriteStream, openAsBlob } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CID } from "multiformats/cid";
import { z } from "zod";
import { describeError, IntegrityError, ProviderError } from "../../errors.js";
import { isTransient } from "../../util/retry.js";
import type { PutRequest } from "../types.js";
import { assertSameCid } from "./guard.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { httpError } from "./http-errors.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const PINATA = "pinata";

/** Above this size the `pinata` SDK (2.5.6, `uploads/file.ts`) switches from one POST to a resumable TUS upload. */
export const PINATA_TUS_THRESHOLD = 94_371_840;
/** Bytes per TUS `PATCH`, as the SDK sends them. */
export const PINATA_TUS_CHUNK = 50 * 1024 * 1024;

const CAR_TYPE = "application/vnd.ipld.car";
const AUTH_HINT =
  "check PINATA_JWT: it must be the JWT of a Pinata API key allowed to upload and list files (docs/storage/pinata.md)";
const QUOTA_HINT =
  "the Pinata account is over its plan's limits (free accounts stop uploading at 125 % of the plan): free space or upgrade the plan, then run again";
const CID_HINT =
  "Pinata does not document whether an upload with car=true keeps the CAR's root, and this one did not (it stored the CAR under a CID of its own); nothing is minted with that CID — keep Pinata out of this run (unset PINATA_JWT) and use another IPFS backend, and tell Pinata support which CID came back";

/** `POST /v3/files` answers the stored file's record; the CID is all we take from it. */
const UploadResponseSchema = z.object({ data: z.object({ cid: z.string().min(1) }) });
/** `GET /v3/files/public?cid=` lists the account's files with that CID (`cid` is "pending" while Pinata works). */
const FileListSchema = z.object({ data: z.object({ files: z.array(z.object({ cid: z.string() })) }) });

export interface PinataOptions extends RemoteOptions {
  jwt: string;
  /** Upload host (PINATA_UPLOAD_URL), without `/v3`. */
  uploadUrl: string;
  /** API host (PINATA_API_URL), without `/v3`. */
  apiUrl: string;
  /** The account's dedicated gateway. */
  gateway: string;
  /** Directory for the CAR while it is sent; see PinataConfig. */
  spoolDir: string;
  /** CARs larger than this go up resumably (default the SDK's PINATA_TUS_THRESHOLD). */
  tusThresholdBytes?: number;
  /** Bytes per resumable PATCH (default PINATA_TUS_CHUNK). */
  tusChunkBytes?: number;
}

/**
 * Pinata's v3 Files API, spoken with plain fetch in the shapes of its `pinata` SDK: the SDK takes a whole
 * `File`, never reports the status or Retry-After of a failure in a form we can classify, retries TUS
 * chunks on its own at the same offset, and cannot resume a session from the server's offset.
 *
 * Our CAR goes up with the SDK's `car=true` flag, so Pinata should keep our DAG and report its root; a CAR
 * is written to the work directory first because both upload forms need its size before sending (a
 * multipart Content-Length, TUS `Upload-Length`) and a file-backed Blob streams from disk.
 */
export class PinataProvider extends RemoteIpfsProvider {
  readonly name = PINATA;
  readonly #jwt: string;
  readonly #uploadUrl: string;
  readonly #apiUrl: string;
  readonly #spoolDir: string;
  readonly #tusThreshold: number;
  readonly #tusChunk: number;

  constructor(node: EmbeddedIpfsNode, options: PinataOptions) {
    super(node, options);
    this.#jwt = options.jwt;
    this.#uploadUrl = options.uploadUrl.replace(/\/+$/, "");
    this.#apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.#spoolDir = options.spoolDir;
    this.#tusThreshold = options.tusThresholdBytes ?? PINATA_TUS_THRESHOLD;
    this.#tusChunk = options.tusChunkBytes ?? PINATA_TUS_CHUNK;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    await mkdir(this.#spoolDir, { recursive: true });
    const dir = await mkdtemp(join(this.#spoolDir, "car-"));
    try {
      const path = join(dir, `${cid}.car`);
      await pipeline(Readable.from(this.carStream(cid, request.signal)), createWriteStream(path));
      const car = await openAsBlob(path, { type: CAR_TYPE });
      const name = `${cid}${request.extension}`;
      const reported =
        car.size > this.#tusThreshold
          ? await this.#resumable(car, name, request)
          : await this.#simple(car, name, request);
      this.#assertOurRoot(cid, reported);
      return reported;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const url = new URL(`${this.#apiUrl}/v3/files/public`);
    url.searchParams.set("cid", cid.toString());
    const answer = await fetch(url, { headers: this.#auth(), signal });
    if (!answer.ok) throw await this.#failure(answer, `looking up ${cid}`);
    const list = this.#parse(FileListSchema, await answer.json().catch(() => undefined), "data.files");
    return list.data.files.some((file) => sameCid(file.cid, cid));
  }

  /** One multipart POST, the fields and values the SDK sends for `upload.public.file(car, { car: true })`. */
  async #simple(car: Blob, name: string, request: PutRequest): Promise<string> {
    const form = new FormData();
    form.append("file", car, `${name}.car`);
    form.append("network", "public");
    form.append("name", name);
    form.append("car", "true");
    const answer = await fetch(`${this.#uploadUrl}/v3/files`, {
      method: "POST",
      headers: this.#auth(),
      body: form,
      signal: request.signal,
    });
    if (!answer.ok) throw await this.#failure(answer, `uploading ${name}`);
    const body = this.#parse(UploadResponseSchema, await answer.json().catch(() => undefined), "data.cid");
    request.onSent?.(car.size);
    return body.data.cid;
  }

  /**
   * A TUS upload as the SDK makes it (create with `Upload-Length` and `Upload-Metadata`, then PATCH
   * chunks), except that a chunk that fails is resent from the offset the server says it holds (HEAD), so
   * a 5xx at 80 % costs the rest of one chunk, not the whole file. Retries happen here, per step, so a
   * failure never starts a second session; when they run out the put fails for good and a later run
   * starts over.
   */
  async #resumable(car: Blob, name: string, request: PutRequest): Promise<string> {
    const { signal } = request;
    try {
      const session = await this.call(() => this.#createSession(car.size, name, signal), signal);
      let offset = 0;
      let cid: string | null = null;
      while (offset < car.size) {
        let resend = false;
        ({ offset, cid } = await this.call(async () => {
          // After a failed PATCH the server may hold part of it: ask where to go on from.
          const from = resend ? await this.#serverOffset(session, signal) : offset;
          resend = true;
          return this.#patch(session, car, from, request);
        }, signal));
      }
      if (cid === null) {
        throw new ProviderError(
          "NO_CID",
          `the last chunk of ${name} was taken without an upload-cid header`,
          {
            provider: this.name,
            field: "upload-cid",
            hint: "PINATA_UPLOAD_URL must be Pinata's v3 upload API",
          },
        );
      }
      return cid;
    } catch (error) {
      if (!isTransient(error)) throw error;
      throw new ProviderError(
        "RESUMABLE_FAILED",
        `gave up the resumable upload of ${name}: ${describeError(error)}`,
        {
          provider: this.name,
          status: (error as { status?: number }).status,
          retryable: false,
          hint: "a later run uploads it again",
          cause: error,
        },
      );
    }
  }

  async #createSession(size: number, name: string, signal?: AbortSignal): Promise<string> {
    const metadata = Object.entries({ filename: name, filetype: CAR_TYPE, network: "public", car: "true" })
      .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
      .join(",");
    const url = `${this.#uploadUrl}/v3/files`;
    const answer = await fetch(url, {
      method: "POST",
      headers: {
        ...this.#auth(),
        "Tus-Resumable": "1.0.0",
        "Upload-Length": String(size),
        "Upload-Metadata": metadata,
      },
      signal,
    });
    if (!answer.ok) throw await this.#failure(answer, `starting the resumable upload of ${name}`);
    await answer.body?.cancel();
    const location = answer.headers.get("location");
    if (location === null) {
      throw new ProviderError("NO_LOCATION", `starting the resumable upload of ${name} gave no Location`, {
        provider: this.name,
        field: "Location",
        hint: "PINATA_UPLOAD_URL must be Pinata's v3 upload API",
      });
    }
    return new URL(location, url).toString();
  }

  async #patch(
    session: string,
    car: Blob,
    offset: number,
    request: PutRequest,
  ): Promise<{ offset: number; cid: string | null }> {
    const chunk = car.slice(offset, offset + this.#tusChunk);
    const answer = await fetch(session, {
      method: "PATCH",
      headers: {
        ...this.#auth(),
        "Tus-Resumable": "1.0.0",
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": String(offset),
      },
      body: chunk,
      signal: request.signal,
    });
    if (!answer.ok) throw await this.#failure(answer, `sending bytes from ${offset} of ${car.size}`);
    await answer.body?.cancel();
    request.onSent?.(chunk.size);
    return {
      offset: Number(answer.headers.get("upload-offset") ?? offset + chunk.size),
      cid: answer.headers.get("upload-cid"),
    };
  }

  async #serverOffset(session: string, signal?: AbortSignal): Promise<number> {
    const answer = await fetch(session, {
      method: "HEAD",
      headers: { ...this.#auth(), "Tus-Resumable": "1.0.0" },
      signal,
    });
    const offset = Number(answer.headers.get("upload-offset"));
    if (!answer.ok) throw await this.#failure(answer, "asking how much of the upload arrived");
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new ProviderError("BAD_RESPONSE", "the resumable upload's HEAD gave no Upload-Offset", {
        provider: this.name,
        field: "Upload-Offset",
        retryable: true,
      });
    }
    return offset;
  }

  /** A CID other than ours from Pinata means its CAR import did not keep our root; say what that means here. */
  #assertOurRoot(cid: CID, reported: string): void {
    try {
      assertSameCid(this.name, cid, reported);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      throw new IntegrityError(
        "CID_MISMATCH",
        `${this.name} reported CID ${reported} for our CAR of ${cid}`,
        {
          field: "data.cid",
          hint: CID_HINT,
          cause: error,
        },
      );
    }
  }

  /**
   * The typed error for a refused request. How Pinata answers an account over its plan is not documented:
   * a 402, or a 403 whose body speaks of a limit or plan, is taken as that, permanent, not as refused
   * credentials.
   */
  async #failure(answer: Response, detail: string): Promise<ProviderError> {
    const body = (await answer.text().catch(() => "")).slice(0, 300);
    const said = body ? `${detail}: ${body}` : detail;
    if (answer.status === 402 || (answer.status === 403 && /limit|quota|plan|usage|upgrade/i.test(body))) {
      return new ProviderError("QUOTA", `HTTP ${answer.status}: ${said}`, {
        provider: this.name,
        status: answer.status,
        retryable: false,
        hint: QUOTA_HINT,
      });
    }
    return httpError(this.name, answer.status, said, {
      retryAfter: answer.headers.get("retry-after"),
      hint: answer.status === 401 || answer.status === 403 ? AUTH_HINT : undefined,
    });
  }

  #parse<T>(schema: z.ZodType<T>, body: unknown, field: string): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ProviderError("BAD_RESPONSE", `unexpected answer: ${z.prettifyError(parsed.error)}`, {
        provider: this.name,
        field,
        hint: "PINATA_UPLOAD_URL and PINATA_API_URL must be Pinata's v3 APIs",
      });
    }
    return parsed.data;
  }

  #auth(): Record<string, string> {
    return { Authorization: `Bearer ${this.#jwt}` };
  }
}

/** Whether a CID Pinata lists is ours; "pending" and other non-CIDs are not. */
function sameCid(listed: string, cid: CID): boolean {
  try {
    return CID.parse(listed).toV1().equals(cid.toV1());
  } catch {
    return false;
  }
}
