import { type Address, encodeFunctionData, getAddress, type PublicClient } from "viem";
import { tracksAbi } from "./tracks-abi.js";
import type { Hex } from "./tracks-chain.js";

export interface CollectionRoles {
  /** The one holder of DEFAULT_ADMIN_ROLE. */
  admin: Address;
  /** An admin transfer under way: who may accept it, from when. */
  pendingAdmin?: { account: Address; acceptableFrom: Date };
  /** Seconds an admin transfer waits before it can be accepted. */
  adminTransferDelaySeconds: number;
  /** Current holders of MINTER_ROLE. */
  minters: Address[];
}

/**
 * Who holds which role, from the chain alone. AccessControl keeps no list of a role's members, so the
 * candidates come from `RoleGranted` logs and each is confirmed with `hasRole` (a revoked one drops out).
 */
export async function readRoles(client: PublicClient, contract: Hex): Promise<CollectionRoles> {
  const read = { address: contract, abi: tracksAbi } as const;
  const [admin, delay, [pending, schedule], minterRole] = await Promise.all([
    client.readContract({ ...read, functionName: "defaultAdmin" }),
    client.readContract({ ...read, functionName: "defaultAdminDelay" }),
    client.readContract({ ...read, functionName: "pendingDefaultAdmin" }),
    client.readContract({ ...read, functionName: "MINTER_ROLE" }),
  ]);
  const grants = await client.getContractEvents({
    ...read,
    eventName: "RoleGranted",
    args: { role: minterRole },
    fromBlock: 0n,
  });
  const candidates = [...new Set(grants.map((log) => getAddress(log.args.account!)))];
  const minters: Address[] = [];
  for (const account of candidates) {
    if (await client.readContract({ ...read, functionName: "hasRole", args: [minterRole, account] }))
      minters.push(account);
  }
  return {
    admin: getAddress(admin),
    pendingAdmin:
      pending === "0x0000000000000000000000000000000000000000"
        ? undefined
        : { account: getAddress(pending), acceptableFrom: new Date(Number(schedule) * 1000) },
    adminTransferDelaySeconds: Number(delay),
    minters,
  };
}

export type MinterChange = "grant" | "revoke";

/** The admin's transaction that grants or revokes MINTER_ROLE, ready to sign or to paste into a Safe. */
export async function minterTransaction(
  client: PublicClient,
  contract: Hex,
  change: MinterChange,
  account: Address,
): Promise<{ to: Hex; data: Hex }> {
  const role = await client.readContract({ address: contract, abi: tracksAbi, functionName: "MINTER_ROLE" });
  const data = encodeFunctionData({
    abi: tracksAbi,
    functionName: change === "grant" ? "grantRole" : "revokeRole",
    args: [role, account],
  });
  return { to: contract, data };
}
