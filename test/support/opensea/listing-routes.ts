import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type Address,
  concat,
  createPublicClient,
  getAddress,
  type Hex,
  http,
  isAddressEqual,
  keccak256,
  recoverAddress,
} from "viem";
import type { z } from "zod";
import { tracksAbi } from "../../../pipeline/chain/tracks-abi.js";
import { ListingPostSchema } from "../../../pipeline/marketplace/opensea/listings.js";
import { conduitControllerAbi, seaportAbi } from "../../../pipeline/marketplace/seaport/seaport-abi.js";
import { type Handler, json, readBody } from "../ipfs-service/http-service.js";

/** One route of the OpenSea stand-in: `params` are the pattern's groups, decoded. */
export interface Route {
  method: "GET" | "POST";
  path: RegExp;
  handle(req: IncomingMessage, res: ServerResponse, params: string[]): Promise<void> | void;
}

export interface MarketFee {
  fee: number;
  recipient: Address;
  required: boolean;
}

/** What the stand-in knows, as OpenSea knows it: chains it reads, collections it indexed, orders it holds. */
export interface ListingMarket {
  /** OpenSea's chain slug → the chain's RPC and the Seaport 1.6 it accepts orders for. */
  chains: Record<string, { rpc: string; seaport: Address }>;
  collections: { slug: string; chain: string; contract: Address; fees: MarketFee[] }[];
  /** Accepted orders, as posted. */
  listings: { orderHash: Hex; chain: string; body: z.output<typeof ListingPostSchema> }[];
}

const errors = (res: ServerResponse, status: number, ...messages: string[]) =>
  json(res, status, { errors: messages });

/**
 * OpenSea API v2's listing endpoints: the contract and collection lookups (fees with `required`) and
 * `POST /api/v2/orders/{chain}/seaport/listings`, which accepts an order only as the service does: for the
 * Seaport it runs, signed by the offerer (the hash and domain are read from that Seaport on the chain, not
 * computed like the client), for a token of an indexed collection that the offerer owns and has approved
 * to the order's conduit, paying every required fee of the price, and not expired.
 */
export function listingRoutes(market: ListingMarket): Route[] {
  const collectionOf = (chain: string, contract: string) =>
    market.collections.find((c) => c.chain === chain && isAddressEqual(c.contract, contract as Address));
  return [
    {
      method: "GET",
      path: /^\/api\/v2\/chain\/([^/]+)\/contract\/([^/]+)$/,
      handle(_req, res, [chain, contract]) {
        const found = /^0x[0-9a-fA-F]{40}$/.test(contract!) ? collectionOf(chain!, contract!) : undefined;
        if (found === undefined) return errors(res, 404, `Contract ${contract} not found`);
        json(res, 200, {
          address: found.contract.toLowerCase(),
          chain,
          collection: found.slug,
          contract_standard: "erc721",
          name: found.slug,
        });
      },
    },
    {
      method: "GET",
      path: /^\/api\/v2\/collections\/([^/]+)$/,
      handle(_req, res, [slug]) {
        const found = market.collections.find((c) => c.slug === slug);
        if (found === undefined) return errors(res, 404, `Collection ${slug} not found`);
        json(res, 200, {
          collection: found.slug,
          name: found.slug,
          contracts: [{ address: found.contract.toLowerCase(), chain: found.chain }],
          fees: found.fees.map((f) => ({ ...f, recipient: f.recipient.toLowerCase() })),
        });
      },
    },
    {
      method: "POST",
      path: /^\/api\/v2\/orders\/([^/]+)\/([^/]+)\/listings$/,
      async handle(req, res, [chain, protocol]) {
        const network = market.chains[chain!];
        if (network === undefined || protocol !== "seaport")
          return errors(res, 400, `Unsupported ${chain}/${protocol}`);
        const raw = JSON.parse((await readBody(req)).toString("utf8")) as { parameters?: unknown };
        const parsed = ListingPostSchema.safeParse(raw);
        if (!parsed.success) return errors(res, 400, `Invalid order: ${parsed.error.issues[0]!.message}`);
        const body = parsed.data;
        const problem = await orderProblem(market, chain!, network, body);
        if (problem !== undefined) return errors(res, 400, problem.message);
        const orderHash = await onChainOrderHash(network, body);
        market.listings.push({ orderHash, chain: chain!, body });
        json(res, 200, {
          order_hash: orderHash,
          chain,
          protocol_data: { parameters: raw.parameters, signature: body.signature },
          protocol_address: body.protocol_address,
        });
      },
    },
  ];
}

type Network = ListingMarket["chains"][string];
type Posted = z.output<typeof ListingPostSchema>;

const chainClient = (network: Network) => createPublicClient({ transport: http(network.rpc) });

/** Seaport's own order hash of the posted components (its `getOrderHash`). */
async function onChainOrderHash(network: Network, body: Posted): Promise<Hex> {
  const { totalOriginalConsiderationItems: _count, ...components } = body.parameters;
  return chainClient(network).readContract({
    address: network.seaport,
    abi: seaportAbi,
    functionName: "getOrderHash",
    args: [components],
  });
}

async function orderProblem(market: ListingMarket, chain: string, network: Network, body: Posted) {
  const p = body.parameters;
  const client = chainClient(network);
  if (!isAddressEqual(body.protocol_address, network.seaport))
    return new Error(`Unsupported protocol address ${body.protocol_address}`);
  const [nft] = p.offer;
  if (p.offer.length !== 1 || nft === undefined || nft.itemType !== 2)
    return new Error("A listing offers one ERC-721 token");
  const collection = market.collections.find(
    (c) => c.chain === chain && isAddressEqual(c.contract, nft.token),
  );
  if (collection === undefined) return new Error(`Collection for ${nft.token} not found`);
  if (p.consideration.some((c) => c.itemType !== 0 || c.startAmount !== c.endAmount)) {
    return new Error("Consideration must be fixed amounts of the native currency");
  }
  if (p.totalOriginalConsiderationItems !== p.consideration.length)
    return new Error("Wrong consideration item count");
  const price = p.consideration.reduce((sum, c) => sum + c.startAmount, 0n);
  for (const fee of collection.fees.filter((f) => f.required)) {
    const owed = (price * BigInt(Math.round(fee.fee * 100))) / 10_000n;
    const paid = p.consideration
      .filter((c) => isAddressEqual(c.recipient, fee.recipient))
      .reduce((s, c) => s + c.startAmount, 0n);
    if (paid < owed) return new Error(`Missing required fee of ${fee.fee}% to ${fee.recipient}`);
  }
  const { timestamp } = await client.getBlock();
  if (p.endTime <= timestamp || p.startTime >= p.endTime)
    return new Error("Order is expired or its times are invalid");
  const [, domainSeparator, controller] = await client.readContract({
    address: network.seaport,
    abi: seaportAbi,
    functionName: "information",
  });
  const digest = keccak256(concat(["0x1901", domainSeparator, await onChainOrderHash(network, body)]));
  let signer: Address;
  try {
    signer = await recoverAddress({ hash: digest, signature: body.signature });
  } catch {
    return new Error("Invalid signature");
  }
  if (!isAddressEqual(signer, p.offerer))
    return new Error("Invalid signature: it was not signed by the offerer");
  const owner = await client.readContract({
    address: nft.token,
    abi: tracksAbi,
    functionName: "ownerOf",
    args: [nft.identifierOrCriteria],
  });
  if (!isAddressEqual(owner, p.offerer)) return new Error("The offerer does not own the token");
  const operator = /^0x0+$/.test(p.conduitKey)
    ? network.seaport
    : (
        await client.readContract({
          address: controller,
          abi: conduitControllerAbi,
          functionName: "getConduit",
          args: [p.conduitKey],
        })
      )[0];
  const approved = await client.readContract({
    address: nft.token,
    abi: tracksAbi,
    functionName: "isApprovedForAll",
    args: [p.offerer, getAddress(operator)],
  });
  if (!approved) return new Error("The token is not approved for the order's conduit");
  return undefined;
}

/** Serves `routes` when the request carries `apiKey` as X-API-KEY; 401 without it, 404 off the table. */
export function serveRoutes(routes: Route[], apiKey: string): Handler {
  return async (req, res, url) => {
    if (req.headers["x-api-key"] !== apiKey) return errors(res, 401, "Invalid API key");
    for (const route of routes) {
      const match = route.method === req.method ? route.path.exec(url.pathname) : null;
      if (match) return route.handle(req, res, match.slice(1).map(decodeURIComponent));
    }
    errors(res, 404, `No route ${req.method} ${url.pathname}`);
  };
}
