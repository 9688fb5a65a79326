import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { type Client, create } from "@storacha/client";
import * as Signer from "@storacha/client/principal/ed25519";
import * as Proof from "@storacha/client/proof";
import { uploadServiceConnection } from "@storacha/client/service";
import { StoreMemory } from "@storacha/client/stores/memory";
import type { AnyLink, UnknownLink } from "@storacha/client/types";
import type { CID } from "multiformats/cid";
import { AuthError, ConfigError, ProviderError } from "../../errors.js";
import type { PutRequest } from "../types.js";
import type { StorachaConfig } from "./config.js";
import type { EmbeddedIpfsNode } from "./helia-node.js";
import { RemoteIpfsProvider, type RemoteOptions } from "./remote-provider.js";

export const STORACHA = "storacha";

/**
 * The client cuts a CAR into shards it holds in memory to hash; 16 MiB keeps a put's memory small
 * whatever the track's size (the service's default is 127 MiB).
 */
const SHARD_BYTES = 16 * 1024 * 1024;

/** Looks for a receipt the service has not written yet (the client backs off 1 s, 2 s, 4 s … between). */
const RECEIPT_POLLS = 5;

/** Refusals the service answers when the agent's delegation does not authorize the call. */
const AUTH_FAILURES = new Set([
  "Unauthorized",
  "InvalidSignature",
  "InvalidAudience",
  "Expired",
  "Revoked",
  "NotValidBefore",
]);

type ClientError = Error & { cause?: { name?: string; message?: string } };

/**
 * Storacha (the w3up protocol, formerly Web3.Storage): an agent key plus a UCAN delegation from a space
 * authorize uploads to that space. Our CAR is uploaded as is, then the service's own upload record is
 * read back, so the root it says it stored is checked against our CID.
 */
export class StorachaProvider extends RemoteIpfsProvider {
  readonly name = STORACHA;
  readonly #config: StorachaConfig;
  #client?: Promise<Client>;

  constructor(node: EmbeddedIpfsNode, options: RemoteOptions & { config: StorachaConfig }) {
    super(node, { gateway: options.config.gateway, ...options });
    this.#config = options.config;
  }

  protected async upload(cid: CID, request: PutRequest): Promise<string> {
    const client = await this.#connect();
    const car = this.carStream(cid, request.signal);
    // Without a size the client streams the CAR block by block instead of reading it whole.
    const blob = { stream: () => Readable.toWeb(Readable.from(car)) as ReadableStream<Uint8Array> };
    try {
      // The client's one retry count also paces its poll for the blob's accept receipt, which the service
      // writes only once its storage node has taken the blob: with 0 the first "not yet" failed the upload.
      const root = await client.uploadCAR(blob, {
        shardSize: SHARD_BYTES,
        retries: RECEIPT_POLLS,
        signal: request.signal,
      });
      return (await this.#record(client, root, request.signal)).root.toString();
    } catch (error) {
      throw this.#classify(error);
    }
  }

  protected async holds(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const client = await this.#connect();
    try {
      await this.#record(client, cid, signal);
      return true;
    } catch (error) {
      if ((error as ClientError).cause?.name === "UploadNotFound") return false;
      throw this.#classify(error);
    }
  }

  /**
   * The service's upload record for `root`. The service answers a repeated invocation with its cached
   * receipt, and an invocation without a nonce repeats within the same second: without one, the check
   * after an upload would get the "not found" of the `holds` just before it.
   */
  #record(client: Client, root: CID | AnyLink, signal?: AbortSignal) {
    // Our CIDs and the client's are the same class at runtime, typed by two copies of multiformats.
    return client.capability.upload.get(root as UnknownLink, { retries: 0, signal, nonce: randomUUID() });
  }

  /** Builds the client once: the key and the proof are checked here, before any byte is sent. */
  #connect(): Promise<Client> {
    this.#client ??= this.#createClient();
    return this.#client;
  }

  async #createClient(): Promise<Client> {
    const { key, proof, serviceUrl, serviceDid, receiptsUrl } = this.#config;
    let principal: Signer.EdSigner;
    try {
      principal = Signer.parse(key);
    } catch (cause) {
      throw new ConfigError("CONFIG", "is not an agent private key", {
        file: "environment",
        field: "W3UP_KEY",
        hint: "use the key printed by `storacha key create` (starts with Mg…)",
        cause,
      });
    }
    const delegation = await Proof.parse(proof).catch((cause: unknown) => {
      throw new ConfigError("CONFIG", "is not a base64 UCAN delegation", {
        file: "environment",
        field: "W3UP_PROOF",
        hint: "use the output of `storacha delegation create <agent DID> --base64`",
        cause,
      });
    });
    if (delegation.audience.did() !== principal.did()) {
      throw new ConfigError(
        "CONFIG",
        `is delegated to ${delegation.audience.did()}, not to this agent (${principal.did()})`,
        {
          file: "environment",
          field: "W3UP_PROOF",
          hint: `create the delegation for the agent of W3UP_KEY: storacha delegation create ${principal.did()} --base64`,
        },
      );
    }
    if (delegation.expiration * 1000 < Date.now()) {
      throw new AuthError("the W3UP_PROOF delegation has expired", {
        provider: this.name,
        hint: "create a new delegation for this agent and set W3UP_PROOF",
      });
    }
    const connection =
      serviceUrl === undefined
        ? undefined
        : uploadServiceConnection({
            url: new URL(serviceUrl),
            id: { did: () => (serviceDid ?? "did:web:up.storacha.network") as `did:${string}:${string}` },
          });
    const client = await create({
      principal,
      store: new StoreMemory(),
      serviceConf: connection && { access: connection, upload: connection, filecoin: connection },
      receiptsEndpoint:
        receiptsUrl !== undefined
          ? new URL(receiptsUrl)
          : serviceUrl !== undefined
            ? new URL("/receipt/", serviceUrl)
            : undefined,
    } as Parameters<typeof create>[0]);
    const space = await client.addSpace(delegation);
    await client.setCurrentSpace(space.did());
    return client;
  }

  /**
   * The client throws plain Errors whose cause is the service's failure: a refused delegation is an
   * AuthError (retrying cannot help), an unprovisioned space a permanent error with what to do.
   */
  #classify(error: unknown): unknown {
    const cause = (error as ClientError)?.cause;
    const reason = cause?.name ?? "";
    if (AUTH_FAILURES.has(reason) || /no proofs available/i.test((error as Error)?.message ?? "")) {
      return new AuthError(`the service refused the delegation (${reason || "missing capability"})`, {
        provider: this.name,
        hint:
          reason === "InvalidAudience"
            ? "STORACHA_SERVICE_DID must be the DID of the service at STORACHA_SERVICE_URL"
            : "W3UP_PROOF must delegate space/blob/add, space/index/add, filecoin/offer, upload/add and upload/get to the agent of W3UP_KEY",
        cause: error,
      });
    }
    if (
      reason === "InsufficientStorage" ||
      /no storage provider|not provisioned/i.test(cause?.message ?? "")
    ) {
      return new ProviderError("NOT_PROVISIONED", "the space has no storage provider", {
        provider: this.name,
        hint: "provision the space with an account (storacha space provision) and retry",
        cause: error,
      });
    }
    return error;
  }
}
