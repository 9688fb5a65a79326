import { randomBytes } from "node:crypto";
import {
  type Account,
  type Address,
  type Chain,
  formatEther,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  zeroAddress,
} from "viem";
import { tracksAbi } from "../../chain/tracks-abi.js";
import { InputError } from "../../errors.js";
import { collectionSlug, type OpenSeaApi, postListing, requiredFees } from "../opensea/listings.js";
import type { SeaportDeployment } from "../seaport/deployment.js";
import { listingOrder, orderTypedData, type Payee } from "../seaport/order.js";
import { seaportAbi } from "../seaport/seaport-abi.js";
import { salePayees } from "./payees.js";

export interface ListTokensOptions {
  client: PublicClient;
  /** The seller's wallet: it owns the tokens, signs the listings and, once, approves the operator. */
  wallet: WalletClient<Transport, Chain | undefined, Account>;
  collection: Address;
  seaport: SeaportDeployment;
  openSea: OpenSeaApi;
  /** OpenSea's slug of the chain (`ethereum`, `base`, `sepolia`…). */
  chain: string;
  /** Wei the buyer pays for each token. */
  price: bigint;
  /** The tokens to list; all the seller owns when undefined. */
  tokenIds?: bigint[];
  expiresInSeconds: number;
  log: (line: string) => void;
}

export interface Listed {
  tokenId: bigint;
  orderHash: Hex;
  /** What the sale pays each party, the seller first. */
  payees: Payee[];
  endTime: bigint;
}

/**
 * Lists tokens for sale on OpenSea through Seaport 1.6: one signed order per token whose consideration pays
 * the seller, the ERC-2981 royalty the collection reports for that token and every fee OpenSea marks
 * required. Nothing is posted for a token the seller does not own.
 */
export async function listTokens(options: ListTokensOptions): Promise<Listed[]> {
  const { client, wallet, collection, seaport, price } = options;
  const seller = wallet.account.address;
  const tokenIds = options.tokenIds ?? (await ownedTokens(client, collection, seller));
  if (tokenIds.length === 0) {
    throw new InputError("NOTHING_TO_LIST", `${seller} owns no token of ${collection}`, {
      field: "DCMX_SELLER_PRIVATE_KEY",
      hint: "use the key of the account the tokens were minted to (DCMX_RECIPIENT, else the minting key)",
    });
  }
  await assertOwned(client, collection, seller, tokenIds);
  const slug = await collectionSlug(options.openSea, options.chain, collection);
  const fees = await requiredFees(options.openSea, slug);
  await ensureApproval(options);

  const counter = await client.readContract({
    address: seaport.address,
    abi: seaportAbi,
    functionName: "getCounter",
    args: [seller],
  });
  // The chain's clock, not this machine's: Seaport compares the order's times with block timestamps.
  const { timestamp } = await client.getBlock();
  const endTime = timestamp + BigInt(options.expiresInSeconds);
  const listed: Listed[] = [];
  for (const tokenId of tokenIds) {
    const [receiver, royalty] = await client.readContract({
      address: collection,
      abi: tracksAbi,
      functionName: "royaltyInfo",
      args: [tokenId, price],
    });
    const payees = salePayees(
      price,
      receiver === zeroAddress ? undefined : { recipient: receiver, amount: royalty },
      fees,
    );
    const order = listingOrder({
      seller,
      collection,
      tokenId,
      price,
      payees,
      startTime: timestamp,
      endTime,
      salt: BigInt(`0x${randomBytes(32).toString("hex")}`),
      conduitKey: seaport.conduitKey,
      counter,
    });
    const signature = await wallet.signTypedData(orderTypedData(seaport.chainId, seaport.address, order));
    const orderHash = await postListing(options.openSea, options.chain, order, signature, seaport.address);
    const parties = order.consideration.map((c) => ({ recipient: c.recipient, amount: c.startAmount }));
    options.log(
      `  token ${tokenId}: listed for ${formatEther(price)} (seller ${formatEther(parties[0]!.amount)}${payees
        .map((p) => `, ${p.recipient} ${formatEther(p.amount)}`)
        .join("")}) — order ${orderHash}`,
    );
    listed.push({ tokenId, orderHash, payees: parties, endTime });
  }
  return listed;
}

async function ownedTokens(client: PublicClient, collection: Address, seller: Address): Promise<bigint[]> {
  const supply = await client.readContract({
    address: collection,
    abi: tracksAbi,
    functionName: "totalSupply",
  });
  const ids = Array.from({ length: Number(supply) }, (_, i) => BigInt(i + 1));
  const owners = await Promise.all(ids.map((id) => ownerOf(client, collection, id)));
  return ids.filter((_, i) => owners[i] === seller);
}

async function assertOwned(client: PublicClient, collection: Address, seller: Address, tokenIds: bigint[]) {
  for (const tokenId of tokenIds) {
    const owner = await ownerOf(client, collection, tokenId);
    if (owner !== seller) {
      throw new InputError(
        "NOT_OWNER",
        `token ${tokenId} ${owner === undefined ? "does not exist" : `belongs to ${owner}`}, not to the seller ${seller}`,
        { field: "--tokens", hint: "list only tokens the seller's account holds" },
      );
    }
  }
}

async function ownerOf(
  client: PublicClient,
  collection: Address,
  tokenId: bigint,
): Promise<Address | undefined> {
  try {
    return await client.readContract({
      address: collection,
      abi: tracksAbi,
      functionName: "ownerOf",
      args: [tokenId],
    });
  } catch {
    // ERC-721 reverts for a token that was never minted.
    return undefined;
  }
}

/** Seaport moves a sold token through the operator, so the seller approves it once per collection. */
async function ensureApproval({
  client,
  wallet,
  collection,
  seaport,
  log,
}: ListTokensOptions): Promise<void> {
  const seller = wallet.account.address;
  const approved = await client.readContract({
    address: collection,
    abi: tracksAbi,
    functionName: "isApprovedForAll",
    args: [seller, seaport.operator],
  });
  if (approved) return;
  log(
    `Approving ${seaport.operator} (Seaport 1.6${seaport.operator === seaport.address ? "" : "'s conduit"}) to transfer ${seller}'s tokens of ${collection} when a buyer fills a listing: one transaction, once per collection.`,
  );
  const hash = await wallet.writeContract({
    address: collection,
    abi: tracksAbi,
    functionName: "setApprovalForAll",
    args: [seaport.operator, true],
    chain: null,
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new InputError("REVERTED", `the approval transaction ${hash} reverted`, {
      field: "DCMX_SELLER_PRIVATE_KEY",
      hint: "check the seller's balance for gas, then run dcmx list again",
    });
  }
  log(`  approved (${hash})`);
}
