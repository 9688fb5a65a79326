import { type Address, createWalletClient, getAddress, http, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type MinterChange, minterTransaction, readRoles } from "../../pipeline/chain/roles.js";
import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { ConfigError, InputError } from "../../pipeline/errors.js";
import { registerSecret } from "../../pipeline/util/secrets.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions } from "./options.js";

const usage = `Usage: dcmx roles [grant-minter|revoke-minter <0x…>] [--contract 0x…] [--rpc URL] [--workdir W]

Shows who holds which role of the collection: the admin (royalties, metadata, freezes, roles; moved only in
two steps, after a delay), an admin transfer under way, and every account allowed to mint.
grant-minter / revoke-minter change MINTER_ROLE. They are the admin's transactions: with
DCMX_ADMIN_PRIVATE_KEY set they are signed and sent; otherwise (an admin that is a Safe or a hardware
wallet) the transaction is printed to submit from the admin's wallet.

Options:
${COLLECTION_OPTIONS_HELP}`;

const CHANGES: Record<string, MinterChange> = { "grant-minter": "grant", "revoke-minter": "revoke" };

export const rolesCommand: Command = {
  name: "roles",
  summary: "show the collection's admin and minters; grant or revoke MINTER_ROLE",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs("roles", args, collectionOptions);
    const [action, who, ...extra] = positionals;
    const change = action === undefined ? undefined : CHANGES[action];
    if ((action !== undefined && change === undefined) || extra.length > 0 || (change && !who)) {
      throw new InputError("USAGE", `expected nothing, or grant-minter|revoke-minter <address>`, {
        field: "arguments",
        hint: "see dcmx roles --help",
      });
    }
    const target = await collectionFrom(values);
    if (change !== undefined) return changeMinter(target, change, parseAccount(who!));
    const roles = await readRoles(target.client, target.contract);
    console.log(`Collection ${target.contract}`);
    console.log(`  admin:   ${roles.admin} (transfers wait ${formatDelay(roles.adminTransferDelaySeconds)})`);
    if (roles.pendingAdmin) {
      console.log(
        `  pending: ${roles.pendingAdmin.account} may accept the admin role from ${roles.pendingAdmin.acceptableFrom.toISOString()}`,
      );
    }
    console.log(`  minters: ${roles.minters.length === 0 ? "none" : roles.minters.join(", ")}`);
    if (roles.minters.some((m) => m === roles.admin)) {
      console.log("  warning: the admin can also mint; keep the minting key and the admin apart");
    }
    return 0;
  },
};

async function changeMinter(
  target: Awaited<ReturnType<typeof collectionFrom>>,
  change: MinterChange,
  account: Address,
): Promise<number> {
  const tx = await minterTransaction(target.client, target.contract, change, account);
  const key = loadDotEnv().DCMX_ADMIN_PRIVATE_KEY?.trim() || undefined;
  registerSecret(key);
  if (key === undefined) {
    console.log(`Submit this transaction from the admin's wallet (${change} MINTER_ROLE for ${account}):`);
    console.log(`  to:    ${tx.to}`);
    console.log(`  value: 0`);
    console.log(`  data:  ${tx.data}`);
    return 0;
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new ConfigError("CONFIG", "is not a 0x-prefixed 32-byte private key", {
      file: "environment",
      field: "DCMX_ADMIN_PRIVATE_KEY",
    });
  }
  const signer = privateKeyToAccount(key as `0x${string}`);
  const { admin } = await readRoles(target.client, target.contract);
  if (signer.address !== admin) {
    throw new ConfigError(
      "NOT_ADMIN",
      `the key is ${signer.address}, but the collection's admin is ${admin}`,
      {
        field: "DCMX_ADMIN_PRIVATE_KEY",
        hint: "use the admin's key, or unset it to print the transaction for the admin's wallet",
      },
    );
  }
  const wallet = createWalletClient({ account: signer, transport: http(target.rpc) });
  const hash = await wallet.sendTransaction({ ...tx, chain: null });
  const receipt = await target.client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new InputError("REVERTED", `the ${change} transaction ${hash} reverted`, { field: "arguments" });
  }
  console.log(
    `${change === "grant" ? "Granted" : "Revoked"} MINTER_ROLE ${change === "grant" ? "to" : "from"} ${account} (${hash}).`,
  );
  return 0;
}

function parseAccount(value: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new InputError("USAGE", `"${value}" is not an account address`, { field: "<address>" });
  }
  return getAddress(value);
}

function formatDelay(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds > 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3_600 === 0 && seconds > 0) return `${seconds / 3_600} hour(s)`;
  return `${seconds} s`;
}
