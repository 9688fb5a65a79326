import type { Address } from "viem";
import { ConfigError } from "../errors.js";
import { networkExposure } from "./network-exposure.js";

export interface AdminChoice {
  /** `DCMX_ADMIN`: the collection's admin, when the user named one. */
  admin?: Address;
  /** The key that deploys and signs every mint batch. */
  minter: Address;
  chainId: number;
  /** Hardhat's in-process chain. */
  inProcess: boolean;
  /** The JSON-RPC URL of an HTTP network. */
  rpcUrl?: string;
  network: string;
  /** `--allow-hot-admin` / `DCMX_ALLOW_HOT_ADMIN`: the user accepts one key for both roles. */
  allowHotAdmin: boolean;
}

/**
 * The admin a new collection is deployed with. The minting key is hot (it signs from a laptop or a CI
 * runner on every run); the admin owns royalties, metadata, freezes and roles. On a public chain they must
 * differ unless the user says otherwise, because a leaked minting key would otherwise lose the collection.
 */
export function collectionAdmin(choice: AdminChoice): Address {
  const admin = choice.admin ?? choice.minter;
  const hot = admin.toLowerCase() === choice.minter.toLowerCase();
  if (hot && !choice.allowHotAdmin && networkExposure(choice) === "public") {
    throw new ConfigError(
      "HOT_ADMIN",
      `on ${choice.network} (chain ${choice.chainId}) the minting key ${choice.minter} would also be the collection's admin: whoever steals that key (from a laptop or a CI runner) could change royalties, rewrite metadata and grant themselves every role`,
      {
        field: "DCMX_ADMIN",
        hint: "set DCMX_ADMIN to a cold account, ideally a Safe, which receives the admin role while this key only mints; or pass --allow-hot-admin (DCMX_ALLOW_HOT_ADMIN=1) to accept the risk",
      },
    );
  }
  return admin;
}
