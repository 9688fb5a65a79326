import { createWalletClient, formatEther, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { parseEnv } from "../../pipeline/config/env.js";
import { envString } from "../../pipeline/config/env-values.js";
import { ConfigError, InputError } from "../../pipeline/errors.js";
import { parseExpiry, parsePrice, parseTokenList } from "../../pipeline/marketplace/listing/list-options.js";
import { listTokens } from "../../pipeline/marketplace/listing/list-tokens.js";
import { openSeaChain } from "../../pipeline/marketplace/opensea/chains.js";
import { OpenSeaClient } from "../../pipeline/marketplace/opensea/client.js";
import {
  connectSeaport,
  OPENSEA_CONDUIT_KEY,
  SEAPORT_1_6_ADDRESS,
} from "../../pipeline/marketplace/seaport/deployment.js";
import { registerSecret } from "../../pipeline/util/secrets.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions } from "./options.js";

const DEFAULT_EXPIRY = "30d";

const usage = `Usage: dcmx list --price <eth> [--tokens 1,4,7-9] [--expires 30d] [--contract 0x…] [--rpc URL]

Lists the collection's tokens for sale on OpenSea at a fixed price in the chain's currency: one Seaport 1.6
order per token, signed with DCMX_SELLER_PRIVATE_KEY, whose consideration pays the seller, the ERC-2981
royalty the collection reports and every fee OpenSea requires for the collection. The first time, the
seller approves OpenSea's Seaport conduit for the collection (one transaction); buyers then fill the orders.

Options:
  --price ETH       price of each token, e.g. 0.05
  --tokens LIST     token ids and ranges (default: every token the seller owns)
  --expires D       how long the listings stand: 90m, 12h, 30d, 2w (default ${DEFAULT_EXPIRY})
${COLLECTION_OPTIONS_HELP}

Environment:
  DCMX_SELLER_PRIVATE_KEY    key of the account holding the tokens (required)
  OPENSEA_API_KEY            OpenSea API key (required); OPENSEA_API_URL overrides the API's address
  DCMX_SEAPORT_ADDRESS       Seaport 1.6 (default ${SEAPORT_1_6_ADDRESS})
  DCMX_SEAPORT_CONDUIT_KEY   conduit the orders use (default OpenSea's; 0x00…00 for none)`;

const hex = (bytes: number, what: string) =>
  envString().pipe(
    z
      .string()
      .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected ${what}`)
      .optional(),
  );

const ListEnvSchema = z.object({
  DCMX_SELLER_PRIVATE_KEY: hex(32, "a 0x-prefixed 32-byte private key"),
  DCMX_SEAPORT_ADDRESS: hex(20, "a 0x-prefixed contract address"),
  DCMX_SEAPORT_CONDUIT_KEY: hex(32, "a 0x-prefixed 32-byte conduit key"),
});

export const listCommand: Command = {
  name: "list",
  summary: "list tokens for sale on OpenSea (Seaport 1.6 orders paying the royalty and required fees)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs("list", args, {
      price: { type: "string" },
      tokens: { type: "string" },
      expires: { type: "string" },
      ...collectionOptions,
    });
    if (values.price === undefined || positionals.length > 0) {
      throw new InputError("USAGE", "expected --price <eth> and no other arguments", {
        field: "arguments",
        hint: "see dcmx list --help",
      });
    }
    const price = parsePrice(values.price);
    const tokenIds = values.tokens === undefined ? undefined : parseTokenList(values.tokens);
    const expiresInSeconds = parseExpiry(values.expires ?? DEFAULT_EXPIRY);
    const dotEnv = loadDotEnv();
    const env = parseEnv(ListEnvSchema, dotEnv);
    registerSecret(dotEnv.DCMX_SELLER_PRIVATE_KEY);
    if (env.DCMX_SELLER_PRIVATE_KEY === undefined) {
      throw new InputError("CONFIG", "is not set; it signs the listings", {
        file: "environment",
        field: "DCMX_SELLER_PRIVATE_KEY",
        hint: "set the key of the account that holds the tokens (in .env, never in a command line)",
      });
    }
    const openSea = OpenSeaClient.fromEnv(dotEnv);
    if (openSea === undefined) {
      throw new ConfigError("CONFIG", "is not set; listing posts to OpenSea's API", {
        field: "OPENSEA_API_KEY",
        hint: "get a key at opensea.io/settings/developer and set it in .env",
      });
    }
    const target = await collectionFrom(values);
    const seaport = await connectSeaport(
      target.client,
      (env.DCMX_SEAPORT_ADDRESS ?? SEAPORT_1_6_ADDRESS) as `0x${string}`,
      (env.DCMX_SEAPORT_CONDUIT_KEY ?? OPENSEA_CONDUIT_KEY) as `0x${string}`,
      "DCMX_SEAPORT_ADDRESS",
    );
    const account = privateKeyToAccount(env.DCMX_SELLER_PRIVATE_KEY as `0x${string}`);
    const wallet = createWalletClient({ account, transport: http(target.rpc) });
    console.log(
      `Listing tokens of ${target.contract} at ${formatEther(price)} each, for ${values.expires ?? DEFAULT_EXPIRY}:`,
    );
    const listed = await listTokens({
      client: target.client,
      wallet,
      collection: target.contract,
      seaport,
      openSea,
      chain: openSeaChain(seaport.chainId).slug,
      price,
      tokenIds,
      expiresInSeconds,
      log: (line) => console.log(line),
    });
    const until = new Date(Number(listed[0]!.endTime) * 1000).toISOString();
    console.log(`Listed ${listed.length} token(s) on OpenSea until ${until}.`);
    return 0;
  },
};
