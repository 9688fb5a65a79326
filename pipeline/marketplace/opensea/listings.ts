import { type Address, getAddress, type Hex } from "viem";
import { z } from "zod";
import { ProviderError } from "../../errors.js";
import type { OrderComponents } from "../seaport/order.js";

/** A marketplace fee in basis points of the price. */
export interface FeeShare {
  recipient: Address;
  bps: number;
}

/**
 * The one call listing makes to OpenSea's REST API v2: `method path` (from `/api/v2/…`) with `body` as JSON,
 * the answer validated by `schema`. OpenSea's client (key, base URL, rate limits, retries) provides it.
 */
export interface OpenSeaApi {
  request<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.output<S>>;
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected an address")
  .transform((a) => getAddress(a));
const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes as hex") as z.ZodType<Hex>;

const ContractSchema = z.object({ collection: z.string().min(1).nullable() });

const CollectionSchema = z.object({
  collection: z.string(),
  /** `fee` is a percentage (2.5 means 2.5 %); `required` ones must be in every order OpenSea accepts. */
  fees: z.array(z.object({ fee: z.number().nonnegative(), recipient: address, required: z.boolean() })),
});

const itemFields = {
  itemType: z.number().int(),
  token: address,
  identifierOrCriteria: uint,
  startAmount: uint,
  endAmount: uint,
};

/** `parameters` of a posted Seaport order: `OrderComponents` with numbers as decimal strings. */
export const OrderComponentsSchema = z.object({
  offerer: address,
  zone: address,
  offer: z.array(z.object(itemFields)),
  consideration: z.array(z.object({ ...itemFields, recipient: address })),
  orderType: z.number().int(),
  startTime: uint,
  endTime: uint,
  zoneHash: bytes32,
  salt: uint,
  conduitKey: bytes32,
  counter: uint,
  totalOriginalConsiderationItems: z.number().int(),
});

/** The body of `POST /api/v2/orders/{chain}/seaport/listings`. */
export const ListingPostSchema = z.object({
  parameters: OrderComponentsSchema,
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, "expected a hex signature") as z.ZodType<Hex>,
  protocol_address: address,
});

const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/) as z.ZodType<Hex>;
/** OpenSea's reference shows the order at the top level; its SDK reads it under `order`: both are taken. */
const PostedSchema = z.union([
  z.object({ order_hash: hash }),
  z.object({ order: z.object({ order_hash: hash }) }),
]);

/** The collection (slug) OpenSea filed `contract` under; OpenSea indexes a new contract after its first mint. */
export async function collectionSlug(api: OpenSeaApi, chain: string, contract: Address): Promise<string> {
  const found = await api.request("GET", `/api/v2/chain/${chain}/contract/${contract}`, ContractSchema);
  if (found.collection === null) {
    throw new ProviderError(
      "NO_COLLECTION",
      `contract ${contract} on ${chain} belongs to no collection yet`,
      {
        provider: "opensea",
        field: "collection",
        hint: "wait until OpenSea has indexed the collection (dcmx marketplace sync shows it), then list again",
      },
    );
  }
  return found.collection;
}

/** The fees OpenSea requires in every order for the collection, in basis points. */
export async function requiredFees(api: OpenSeaApi, slug: string): Promise<FeeShare[]> {
  const collection = await api.request(
    "GET",
    `/api/v2/collections/${encodeURIComponent(slug)}`,
    CollectionSchema,
  );
  return collection.fees
    .filter((fee) => fee.required)
    .map((fee) => ({ recipient: fee.recipient, bps: Math.round(fee.fee * 100) }));
}

/** The JSON body OpenSea takes for a signed order (numbers as decimal strings). */
export function listingPost(order: OrderComponents, signature: Hex, protocolAddress: Address) {
  const text = (n: bigint) => n.toString();
  const item = <I extends { identifierOrCriteria: bigint; startAmount: bigint; endAmount: bigint }>(
    i: I,
  ) => ({
    ...i,
    identifierOrCriteria: text(i.identifierOrCriteria),
    startAmount: text(i.startAmount),
    endAmount: text(i.endAmount),
  });
  return {
    parameters: {
      ...order,
      offer: order.offer.map(item),
      consideration: order.consideration.map(item),
      startTime: text(order.startTime),
      endTime: text(order.endTime),
      salt: text(order.salt),
      counter: text(order.counter),
      totalOriginalConsiderationItems: order.consideration.length,
    },
    signature,
    protocol_address: protocolAddress,
  };
}

/** Posts a signed listing; returns the order hash OpenSea filed it under. */
export async function postListing(
  api: OpenSeaApi,
  chain: string,
  order: OrderComponents,
  signature: Hex,
  protocolAddress: Address,
): Promise<Hex> {
  const posted = await api.request(
    "POST",
    `/api/v2/orders/${chain}/seaport/listings`,
    PostedSchema,
    listingPost(order, signature, protocolAddress),
  );
  return "order" in posted ? posted.order.order_hash : posted.order_hash;
}
