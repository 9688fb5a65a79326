import { type Address, type Hex, zeroAddress, zeroHash } from "viem";

/** Seaport's item types that a listing uses. */
export const ItemType = { NATIVE: 0, ERC721: 2 } as const;
/** FULL_OPEN: anyone may fill the whole order; no zone is asked. */
export const FULL_OPEN = 0;

export interface OfferItem {
  itemType: number;
  token: Address;
  identifierOrCriteria: bigint;
  startAmount: bigint;
  endAmount: bigint;
}

export interface ConsiderationItem extends OfferItem {
  recipient: Address;
}

/** What the offerer signs (EIP-712 `OrderComponents`). */
export interface OrderComponents {
  offerer: Address;
  zone: Address;
  offer: OfferItem[];
  consideration: ConsiderationItem[];
  orderType: number;
  startTime: bigint;
  endTime: bigint;
  zoneHash: Hex;
  salt: bigint;
  conduitKey: Hex;
  counter: bigint;
}

/** Seaport 1.6's EIP-712 types, as the contract hashes them. */
export const ORDER_TYPES = {
  OrderComponents: [
    { name: "offerer", type: "address" },
    { name: "zone", type: "address" },
    { name: "offer", type: "OfferItem[]" },
    { name: "consideration", type: "ConsiderationItem[]" },
    { name: "orderType", type: "uint8" },
    { name: "startTime", type: "uint256" },
    { name: "endTime", type: "uint256" },
    { name: "zoneHash", type: "bytes32" },
    { name: "salt", type: "uint256" },
    { name: "conduitKey", type: "bytes32" },
    { name: "counter", type: "uint256" },
  ],
  OfferItem: [
    { name: "itemType", type: "uint8" },
    { name: "token", type: "address" },
    { name: "identifierOrCriteria", type: "uint256" },
    { name: "startAmount", type: "uint256" },
    { name: "endAmount", type: "uint256" },
  ],
  ConsiderationItem: [
    { name: "itemType", type: "uint8" },
    { name: "token", type: "address" },
    { name: "identifierOrCriteria", type: "uint256" },
    { name: "startAmount", type: "uint256" },
    { name: "endAmount", type: "uint256" },
    { name: "recipient", type: "address" },
  ],
} as const;

export const seaportDomain = (chainId: number, seaport: Address) =>
  ({ name: "Seaport", version: "1.6", chainId, verifyingContract: seaport }) as const;

/** The typed data a listing's signature covers; viem signs it, and the stand-in recovers from it. */
export const orderTypedData = (chainId: number, seaport: Address, order: OrderComponents) =>
  ({
    domain: seaportDomain(chainId, seaport),
    types: ORDER_TYPES,
    primaryType: "OrderComponents",
    message: order,
  }) as const;

/** One party the sale pays, in wei. */
export interface Payee {
  recipient: Address;
  amount: bigint;
}

export interface ListingTerms {
  seller: Address;
  collection: Address;
  tokenId: bigint;
  /** Wei the buyer pays in all. */
  price: bigint;
  /** Everyone but the seller: royalty and marketplace fees, already one entry per recipient. */
  payees: Payee[];
  startTime: bigint;
  endTime: bigint;
  salt: bigint;
  conduitKey: Hex;
  counter: bigint;
}

/**
 * A fixed-price listing of one ERC-721 token for the chain's native currency: the seller is paid first
 * (marketplaces read the first consideration item as the seller's), then each payee.
 */
export function listingOrder(terms: ListingTerms): OrderComponents {
  const owed = terms.payees.reduce((sum, payee) => sum + payee.amount, 0n);
  const native = (recipient: Address, amount: bigint): ConsiderationItem => ({
    itemType: ItemType.NATIVE,
    token: zeroAddress,
    identifierOrCriteria: 0n,
    startAmount: amount,
    endAmount: amount,
    recipient,
  });
  return {
    offerer: terms.seller,
    zone: zeroAddress,
    offer: [
      {
        itemType: ItemType.ERC721,
        token: terms.collection,
        identifierOrCriteria: terms.tokenId,
        startAmount: 1n,
        endAmount: 1n,
      },
    ],
    consideration: [
      native(terms.seller, terms.price - owed),
      ...terms.payees.filter((p) => p.amount > 0n).map((p) => native(p.recipient, p.amount)),
    ],
    orderType: FULL_OPEN,
    startTime: terms.startTime,
    endTime: terms.endTime,
    zoneHash: zeroHash,
    salt: terms.salt,
    conduitKey: terms.conduitKey,
    counter: terms.counter,
  };
}

/** The order as Seaport's fulfil functions take it (`OrderParameters`: no counter, the item count instead). */
export function orderParameters(order: OrderComponents) {
  const { counter: _counter, ...parameters } = order;
  return { ...parameters, totalOriginalConsiderationItems: BigInt(order.consideration.length) };
}
