import { expect } from "chai";
import { artifacts } from "hardhat";
import {
  type Abi,
  type Address,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  parseEther,
  toHex,
  zeroHash,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { ConfigError } from "../../pipeline/errors.js";
import { parseExpiry } from "../../pipeline/marketplace/listing/list-options.js";
import { listTokens } from "../../pipeline/marketplace/listing/list-tokens.js";
import { OpenSeaClient } from "../../pipeline/marketplace/opensea/client.js";
import type { ListingPostSchema } from "../../pipeline/marketplace/opensea/listings.js";
import { connectSeaport, OPENSEA_CONDUIT_KEY } from "../../pipeline/marketplace/seaport/deployment.js";
import {
  type OrderComponents,
  orderParameters,
  orderTypedData,
} from "../../pipeline/marketplace/seaport/order.js";
import { conduitControllerAbi, seaportAbi } from "../../pipeline/marketplace/seaport/seaport-abi.js";
import { type HardhatNode, runDcmx, startHardhatNode } from "../support/hardhat-node.js";
import { type HttpService, startHttpService } from "../support/ipfs-service/http-service.js";
import { type ListingMarket, listingRoutes, serveRoutes } from "../support/opensea/listing-routes.js";

const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
const account = (addressIndex: number) => mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex });
const [DEPLOYER, SELLER, BUYER, ROYALTIES, OPENSEA_FEES, CREATOR_FEES] = [0, 2, 3, 5, 6, 7].map(account);
const SELLER_KEY = toHex(SELLER!.getHdKey().privateKey!);
const API_KEY = "os-test-key-3f9a1c";
const SEPOLIA = 11_155_111;
const ROYALTY_BPS = 750n;
/** OpenSea's fee (required) and a creator fee it does not require, as its collection API lists them. */
const FEES = [
  { fee: 1, recipient: OPENSEA_FEES!.address, required: true },
  { fee: 5, recipient: CREATOR_FEES!.address, required: false },
];
/** The conduit key's first 20 bytes: the only account Seaport's ConduitController lets create it. */
const OPENSEA_CONDUIT_CREATOR = OPENSEA_CONDUIT_KEY.slice(0, 42) as Address;

/**
 * `dcmx list` end to end (contract test, stand-in): a `hardhat node` as Sepolia running Seaport 1.6 built from
 * seaport-core's sources with OpenSea's conduit created under its real key, our collection with a 7.5 %
 * royalty, and the OpenSea stand-in, which checks each posted order against that chain. A buyer then fills
 * the listing on Seaport.
 */
describe("dcmx list: Seaport 1.6 listings posted to OpenSea and filled on chain (contract test, stand-in)", function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let api: HttpService;
  let seaport: Address;
  let collection: Address;
  const market: ListingMarket = { chains: {}, collections: [], listings: [] };
  const client = () => createPublicClient({ transport: http(node.url), pollingInterval: 50 });
  const wallet = (who: typeof DEPLOYER) => createWalletClient({ account: who!, transport: http(node.url) });

  async function deploy(name: string, args: unknown[]): Promise<Address> {
    const { abi, bytecode } = await artifacts.readArtifact(name);
    const hash = await wallet(DEPLOYER).deployContract({
      abi: abi as Abi,
      bytecode: bytecode as Hex,
      args,
      chain: null,
    });
    return getAddress((await client().waitForTransactionReceipt({ hash })).contractAddress!);
  }
  async function send(hash: Promise<Hex>) {
    const receipt = await client().waitForTransactionReceipt({ hash: await hash });
    expect(receipt.status).to.equal("success");
  }
  const rpc = (method: string, params: unknown[]) =>
    client().request({ method: method as never, params: params as never });

  before(async () => {
    node = await startHardhatNode({ chainId: SEPOLIA });
    const started = Date.now();
    const controller = await deploy("ConduitController", []);
    seaport = await deploy("Seaport", [controller]);
    // OpenSea's conduit under its real key, opened to this Seaport, so `dcmx list` runs with its defaults.
    await rpc("hardhat_impersonateAccount", [OPENSEA_CONDUIT_CREATOR]);
    await rpc("hardhat_setBalance", [OPENSEA_CONDUIT_CREATOR, toHex(parseEther("1"))]);
    const creator = createWalletClient({
      account: OPENSEA_CONDUIT_CREATOR,
      transport: http(node.url),
    });
    const write = { address: controller, abi: conduitControllerAbi, chain: null } as const;
    await send(
      creator.writeContract({
        ...write,
        functionName: "createConduit",
        args: [OPENSEA_CONDUIT_KEY, OPENSEA_CONDUIT_CREATOR],
      }),
    );
    const [conduit] = await client().readContract({
      ...write,
      functionName: "getConduit",
      args: [OPENSEA_CONDUIT_KEY],
    });
    await send(
      creator.writeContract({ ...write, functionName: "updateChannel", args: [conduit, seaport, true] }),
    );
    console.log(`      (Seaport 1.6 and OpenSea's conduit deployed in ${Date.now() - started} ms)`);

    collection = await deploy("DCMXTracks", [
      "Listing Tracks",
      "LIST",
      DEPLOYER!.address,
      3600,
      DEPLOYER!.address,
      ROYALTIES!.address,
      ROYALTY_BPS,
      "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    ]);
    const tracks = [1, 2, 3].map((i) => ({
      contentHash: keccak256(toHex(`track ${i}`)),
      metadataDigest: keccak256(toHex(`meta ${i}`)),
    }));
    await send(
      wallet(DEPLOYER).writeContract({
        address: collection,
        abi: tracksAbi,
        functionName: "mintBatch",
        chain: null,
        args: [SELLER!.address, tracks],
      }),
    );

    market.chains.sepolia = { rpc: node.url, seaport };
    market.collections.push({ slug: "listing-tracks", chain: "sepolia", contract: collection, fees: FEES });
    api = await startHttpService(serveRoutes(listingRoutes(market), API_KEY));
  });
  after(async () => {
    await api?.close();
    await node?.stop();
  });

  const list = (...args: string[]) =>
    runDcmx(["list", "--contract", collection, "--rpc", node.url, ...args], {
      DCMX_SELLER_PRIVATE_KEY: SELLER_KEY,
      OPENSEA_API_KEY: API_KEY,
      OPENSEA_API_URL: api.url,
      DCMX_SEAPORT_ADDRESS: seaport,
    });
  const ownerOf = (tokenId: bigint) =>
    client().readContract({ address: collection, abi: tracksAbi, functionName: "ownerOf", args: [tokenId] });
  const balance = (who: Address) => client().getBalance({ address: who });
  const components = (posted: (typeof market.listings)[number]["body"]): OrderComponents => {
    const { totalOriginalConsiderationItems: _count, ...order } = posted.parameters;
    return order;
  };
  const fulfil = (posted: (typeof market.listings)[number]["body"], value: bigint) =>
    wallet(BUYER).writeContract({
      address: seaport,
      abi: seaportAbi,
      functionName: "fulfillOrder",
      args: [{ parameters: orderParameters(components(posted)), signature: posted.signature }, zeroHash],
      value,
      chain: null,
    });

  it("approves the conduit once, posts signed listings, and a buyer's fill pays seller, royalty and the required fee", async () => {
    const price = parseEther("1");
    const run = await list("--price", "1", "--tokens", "1-2", "--expires", "30d");
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.match(/Approving 0x[0-9a-fA-F]{40} \(Seaport 1\.6's conduit\)/);
    expect(run.output).to.include("Listed 2 token(s)");
    expect(run.output).not.to.include(SELLER_KEY.slice(2));
    expect(run.output).not.to.include(API_KEY);
    expect(market.listings.map((l) => l.body.parameters.offer[0]!.identifierOrCriteria)).to.deep.equal([
      1n,
      2n,
    ]);
    const posted = market.listings[0]!;
    expect(run.output).to.include(posted.orderHash);
    const days = Number(posted.body.parameters.endTime - posted.body.parameters.startTime) / 86_400;
    expect(days).to.equal(30);

    const royalty = (price * ROYALTY_BPS) / 10_000n;
    const fee = price / 100n;
    const before = await Promise.all(
      [SELLER!, ROYALTIES!, OPENSEA_FEES!, CREATOR_FEES!].map((a) => balance(a.address)),
    );
    await send(fulfil(posted.body, price));
    const after = await Promise.all(
      [SELLER!, ROYALTIES!, OPENSEA_FEES!, CREATOR_FEES!].map((a) => balance(a.address)),
    );
    const gained = after.map((b, i) => b - before[i]!);
    expect(gained).to.deep.equal([price - royalty - fee, royalty, fee, 0n]);
    expect(await ownerOf(1n)).to.equal(BUYER!.address);
  });

  it("lists what the seller still owns without asking again for approval, refuses a token sold, and an expired listing cannot be filled", async () => {
    // In process, as `dcmx list` calls it: a second CLI start would double this file's time.
    const lines: string[] = [];
    const listIn = async (tokenIds: bigint[] | undefined) =>
      listTokens({
        client: client() as PublicClient,
        wallet: createWalletClient({ account: privateKeyToAccount(SELLER_KEY), transport: http(node.url) }),
        collection,
        seaport: await connectSeaport(client() as PublicClient, seaport, OPENSEA_CONDUIT_KEY, "seaport"),
        openSea: new OpenSeaClient({ apiKey: API_KEY, baseUrl: api.url }),
        chain: "sepolia",
        price: parseEther("0.5"),
        tokenIds,
        expiresInSeconds: parseExpiry("90m"),
        log: (line) => lines.push(line),
      });
    const listed = await listIn(undefined);
    // Token 1 went to the buyer in the test before.
    expect(listed.map((l) => l.tokenId)).to.deep.equal([2n, 3n]);
    expect(lines.join("\n")).not.to.include("Approving");
    const before = market.listings.length;
    let refused: unknown;
    try {
      await listIn([1n]);
    } catch (e) {
      refused = e;
    }
    expect(String(refused)).to.include(`token 1 belongs to ${BUYER!.address}`);
    expect(market.listings.length).to.equal(before);

    const posted = market.listings.at(-1)!;
    expect(posted.orderHash).to.equal(listed[1]!.orderHash);
    await rpc("evm_increaseTime", [2 * 3600]);
    await rpc("evm_mine", []);
    let error: unknown;
    try {
      await fulfil(posted.body, parseEther("0.5"));
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.include("InvalidTime");
    expect(await ownerOf(3n)).to.equal(SELLER!.address);
  });

  it("checks the configured Seaport: refuses an address that is not Seaport 1.6; with no conduit the seller approves Seaport", async () => {
    let error: unknown;
    try {
      await connectSeaport(client() as PublicClient, collection, OPENSEA_CONDUIT_KEY, "DCMX_SEAPORT_ADDRESS");
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect(String(error)).to.include("DCMX_SEAPORT_ADDRESS: no Seaport answers");
    const direct = await connectSeaport(client() as PublicClient, seaport, zeroHash, "DCMX_SEAPORT_ADDRESS");
    expect(direct.operator).to.equal(seaport);
  });

  it("the stand-in refuses a tampered signature and an order without the required fee, as OpenSea does", async () => {
    const post = (body: unknown) =>
      fetch(`${api.url}/api/v2/orders/sepolia/seaport/listings`, {
        method: "POST",
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      });
    const good = market.listings[1]!.body;
    const flipped = `${good.signature.slice(0, 10)}${good.signature[10] === "0" ? "1" : "0"}${good.signature.slice(11)}`;
    const tampered = await post({ ...good, signature: flipped });
    expect(tampered.status).to.equal(400);
    expect(await tampered.text()).to.include("Invalid signature");

    // Re-signed by the seller, so only the missing fee is wrong.
    const order = components(good);
    const withoutFee = {
      ...order,
      consideration: order.consideration.filter((c) => c.recipient !== OPENSEA_FEES!.address),
    };
    const signature = await wallet(SELLER).signTypedData(orderTypedData(SEPOLIA, seaport, withoutFee));
    const unpaid = await post({
      parameters: { ...withoutFee, totalOriginalConsiderationItems: withoutFee.consideration.length },
      signature,
      protocol_address: seaport,
    } satisfies Record<keyof typeof ListingPostSchema.shape, unknown>);
    expect(unpaid.status).to.equal(400);
    expect(await unpaid.text()).to.include("Missing required fee");
  });
});
