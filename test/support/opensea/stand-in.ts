import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { fileTypeFromBuffer } from "file-type";
import { createPublicClient, http, parseAbi } from "viem";
import { FaultPlan } from "../ipfs-service/faults.js";
import { type HttpService, json, readBody, startHttpService } from "../ipfs-service/http-service.js";

/** The ERC-721 reads an indexer makes: nothing of DCMX's own ABI, as OpenSea knows none of it. */
const erc721Abi = parseAbi([
  "function tokenURI(uint256 tokenId) view returns (string)",
  "function ownerOf(uint256 tokenId) view returns (address)",
  "function name() view returns (string)",
  "function supportsInterface(bytes4 interfaceId) view returns (bool)",
]);
const ERC721_INTERFACE = "0x80ac58cd";
/** What OpenSea's player plays (its docs: MP3, WAV, OGG, OGA); anything else shows as a dead player. */
const PLAYABLE = new Set(["mp3", "wav", "ogg", "oga"]);
/** Enough leading bytes to tell a media type apart. */
const SNIFF_BYTES = 4100;

/** An NFT as OpenSea API v2 serves it (`GET /api/v2/chain/{chain}/contract/{address}/nfts/{identifier}`). */
export interface StandInNft {
  identifier: string;
  collection: string;
  contract: string;
  token_standard: string;
  name: string | null;
  description: string | null;
  image_url: string | null;
  display_image_url: string | null;
  animation_url: string | null;
  display_animation_url: string | null;
  metadata_url: string | null;
  opensea_url: string;
  updated_at: string;
  is_disabled: boolean;
  is_nsfw: boolean;
  traits: Array<{ trait_type: string; value: string | number; display_type: string | null }>;
  owners: Array<{ address: string; quantity: number }>;
  creator: string | null;
  /** Not in OpenSea's answer: the media type the stand-in found at animation_url, for tests to read. */
  animation_mime_type?: string;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path template's `{name}` segments. */
  params: Record<string, string>;
  standIn: OpenSeaStandIn;
}

export interface Route {
  method: "GET" | "POST";
  /** `/api/v2/chain/{chain}/contract/{address}/nfts/{identifier}`: `{name}` matches one segment. */
  path: string;
  /** The name faults are scripted by (`standIn.faults.next(operation, …)`). */
  operation: string;
  handle(ctx: RouteContext): Promise<void> | void;
}

/** The routes the stand-in speaks; other files register more (listings, collections) with `add`. */
export class RouteTable {
  readonly #routes: Array<Route & { pattern: RegExp; names: string[] }> = [];

  add(route: Route): this {
    const names: string[] = [];
    const source = route.path
      .split("/")
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (param === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        names.push(param[1]!);
        return "([^/]+)";
      })
      .join("/");
    this.#routes.push({ ...route, pattern: new RegExp(`^${source}$`), names });
    return this;
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.#routes) {
      const found = route.method === method ? route.pattern.exec(path) : null;
      if (found === null) continue;
      const params = Object.fromEntries(
        route.names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]),
      );
      return { route, params };
    }
    return undefined;
  }
}

export interface OpenSeaStandInOptions {
  apiKey: string;
  /** The chains it indexes: OpenSea slug → JSON-RPC URL of that chain. */
  chains: Record<string, string>;
  /** The IPFS gateway it reads `ipfs://` through (OpenSea uses its own). */
  gateway: string;
  /** Time between a refresh and the NFT showing what it fetched (OpenSea queues refreshes). */
  ingestDelayMs?: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** `Date.now()` when it arrived: tests check waits against Retry-After. */
  at: number;
  status: number;
}

/**
 * OpenSea's API v2 on 127.0.0.1 as the service behaves: every request needs the key (X-API-KEY); a
 * refresh is queued and later ingests the token by reading tokenURI from the chain's RPC and the document
 * and media through the IPFS gateway it points at (nothing the client says is taken for it); until then
 * the NFT is not found, or shows the document it last ingested. Faults are scripted per operation.
 */
export class OpenSeaStandIn {
  readonly routes = new RouteTable();
  readonly faults = new FaultPlan();
  readonly received: ReceivedRequest[] = [];
  /** Why an ingestion failed, per NFT key: a refresh of a token that does not exist, a gateway 404… */
  readonly ingestErrors = new Map<string, string>();
  readonly #nfts = new Map<string, StandInNft>();
  readonly #disabled = new Set<string>();
  readonly #media = new Map<string, { bytes: Buffer; type: string }>();
  readonly #ingesting = new Set<Promise<void>>();
  #http!: HttpService;

  private constructor(readonly options: OpenSeaStandInOptions) {
    this.routes
      .add({
        method: "POST",
        path: "/api/v2/chain/{chain}/contract/{address}/nfts/{identifier}/refresh",
        operation: "refresh",
        handle: ({ res, params }) => {
          const job = sleep(this.options.ingestDelayMs ?? 0)
            .then(() => this.#ingest(params.chain!, params.address!, params.identifier!))
            .finally(() => this.#ingesting.delete(job));
          this.#ingesting.add(job);
          json(res, 200, {});
        },
      })
      .add({
        method: "GET",
        path: "/api/v2/chain/{chain}/contract/{address}/nfts/{identifier}",
        operation: "get-nft",
        handle: ({ res, params }) => {
          const nft = this.nft(params.chain!, params.address!, params.identifier!);
          if (nft === undefined) json(res, 404, { errors: ["NFT not found"] });
          else json(res, 200, { nft });
        },
      });
  }

  static async start(options: OpenSeaStandInOptions): Promise<OpenSeaStandIn> {
    const standIn = new OpenSeaStandIn(options);
    standIn.#http = await startHttpService((req, res, url) => standIn.#serve(req, res, url));
    return standIn;
  }

  get url(): string {
    return this.#http.url;
  }

  /** What GET answers for the token now, with its disabled flag. */
  nft(chain: string, contract: string, tokenId: string): StandInNft | undefined {
    const key = nftKey(chain, contract, tokenId);
    const nft = this.#nfts.get(key);
    return nft && { ...nft, is_disabled: this.#disabled.has(key) };
  }

  /** OpenSea hides an item (a policy decision): GET keeps answering, with `is_disabled`. */
  disable(chain: string, contract: string, tokenId: string): void {
    this.#disabled.add(nftKey(chain, contract, tokenId));
  }

  /** The collection slug OpenSea gives a contract: its name, lower-case, dashed. */
  async collectionSlug(chain: string, contract: string): Promise<string> {
    const name = await this.#chain(chain).readContract({
      address: contract as `0x${string}`,
      abi: erc721Abi,
      functionName: "name",
    });
    return name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "");
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#ingesting]);
    await this.#http.close();
  }

  async #serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry: ReceivedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      at: Date.now(),
      status: 0,
    };
    this.received.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    const media = /^\/media\/([0-9a-f]{64})$/.exec(url.pathname);
    if (media !== null) {
      const found = this.#media.get(media[1]!);
      if (found === undefined) res.writeHead(404).end();
      else res.writeHead(200, { "content-type": found.type }).end(found.bytes);
      return;
    }
    if (req.headers["x-api-key"] !== this.options.apiKey) {
      json(res, 401, { detail: "Invalid API key" });
      return;
    }
    const found = this.routes.match(entry.method, url.pathname);
    if (found === undefined) {
      json(res, 404, { errors: [`no route ${entry.method} ${url.pathname}`] });
      return;
    }
    const fault = this.faults.take(found.route.operation);
    if (fault?.kind === "rate-limit") {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      json(res, 429, { detail: "Request was throttled." }, headers);
      return;
    }
    if (fault?.kind === "server-error") {
      json(res, fault.status ?? 503, { errors: ["Service temporarily unavailable"] });
      return;
    }
    if (fault?.kind === "auth") {
      json(res, 401, { detail: "Invalid API key" });
      return;
    }
    if (req.method === "POST") await readBody(req);
    await found.route.handle({ req, res, url, params: found.params, standIn: this });
  }

  #chain(slug: string) {
    const rpc = this.options.chains[slug];
    if (rpc === undefined) throw new Error(`chain ${slug} is not indexed by this stand-in`);
    return createPublicClient({ transport: http(rpc) });
  }

  /** What OpenSea does after a refresh: read the chain, then the documents and media it names. */
  async #ingest(chain: string, address: string, identifier: string): Promise<void> {
    const key = nftKey(chain, address, identifier);
    try {
      const client = this.#chain(chain);
      const contract = address as `0x${string}`;
      const tokenId = BigInt(identifier);
      const [tokenURI, owner, erc721] = await Promise.all([
        client.readContract({ address: contract, abi: erc721Abi, functionName: "tokenURI", args: [tokenId] }),
        client.readContract({ address: contract, abi: erc721Abi, functionName: "ownerOf", args: [tokenId] }),
        client.readContract({
          address: contract,
          abi: erc721Abi,
          functionName: "supportsInterface",
          args: [ERC721_INTERFACE],
        }),
      ]);
      const document = JSON.parse(await (await this.#fetch(tokenURI)).text()) as Record<string, unknown>;
      const image = typeof document.image === "string" ? await this.#cacheImage(document.image) : null;
      const animation =
        typeof document.animation_url === "string" ? await this.#sniff(document.animation_url) : null;
      const attributes = Array.isArray(document.attributes) ? document.attributes : [];
      this.#nfts.set(key, {
        identifier,
        collection: await this.collectionSlug(chain, address),
        contract: address.toLowerCase(),
        token_standard: erc721 ? "erc721" : "unknown",
        name: typeof document.name === "string" ? document.name : null,
        description: typeof document.description === "string" ? document.description : null,
        image_url: image,
        display_image_url: image,
        animation_url: typeof document.animation_url === "string" ? document.animation_url : null,
        display_animation_url: animation?.playable ? animation.url : null,
        animation_mime_type: animation?.type,
        metadata_url: tokenURI,
        opensea_url: `https://opensea.io/item/${chain}/${address.toLowerCase()}/${identifier}`,
        updated_at: new Date().toISOString(),
        is_disabled: false,
        is_nsfw: false,
        traits: attributes.map(
          (a: { trait_type: string; value: string | number; display_type?: string }) => ({
            trait_type: a.trait_type,
            value: a.value,
            display_type: a.display_type ?? null,
          }),
        ),
        owners: [{ address: owner.toLowerCase(), quantity: 1 }],
        creator: null,
      });
      this.ingestErrors.delete(key);
    } catch (error) {
      this.ingestErrors.set(key, (error as Error).message);
    }
  }

  async #fetch(uri: string): Promise<Response> {
    const answer = await fetch(this.#resolve(uri));
    if (!answer.ok) throw new Error(`${uri}: HTTP ${answer.status}`);
    return answer;
  }

  #resolve(uri: string): string {
    return uri.startsWith("ipfs://")
      ? `${this.options.gateway.replace(/\/+$/, "")}/ipfs/${uri.slice(7)}`
      : uri;
  }

  /** Images are copied to the CDN (OpenSea serves its own copy); a missing image shows none. */
  async #cacheImage(uri: string): Promise<string | null> {
    try {
      const answer = await this.#fetch(uri);
      const bytes = Buffer.from(await answer.arrayBuffer());
      const sha = createHash("sha256").update(bytes).digest("hex");
      this.#media.set(sha, {
        bytes,
        type: (await fileTypeFromBuffer(bytes))?.mime ?? "application/octet-stream",
      });
      return `${this.url}/media/${sha}`;
    } catch {
      return null;
    }
  }

  /** The animation's media type from its first bytes (only the head is read); unreachable is none. */
  async #sniff(uri: string): Promise<{ url: string; type: string; playable: boolean } | null> {
    try {
      const answer = await this.#fetch(uri);
      const head: Buffer[] = [];
      let size = 0;
      for await (const chunk of answer.body!) {
        head.push(Buffer.from(chunk));
        size += chunk.length;
        if (size >= SNIFF_BYTES) break;
      }
      const type = await fileTypeFromBuffer(Buffer.concat(head));
      return {
        url: this.#resolve(uri),
        type: type?.mime ?? "unknown",
        playable: PLAYABLE.has(type?.ext ?? ""),
      };
    } catch {
      return null;
    }
  }
}

const nftKey = (chain: string, contract: string, tokenId: string) =>
  `${chain}:${contract.toLowerCase()}:${tokenId}`;
