import { network } from "hardhat";
import { type Abi, type Address, getAddress, type Hash, parseEventLogs, type WalletClient } from "viem";
import { deployTracks } from "../../ignition/modules/deploy-tracks.js";

export const COLLECTION = {
  name: "DCMX Test Tracks",
  symbol: "DCMXT",
  royaltyBps: 750,
  contractURI: "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
} as const;

/**
 * A fresh in-process chain with named accounts, and `deployed()`, which returns the collection deployed through
 * the Ignition module (admin, separate minter, royalty receiver) from a snapshot, so every test starts clean.
 */
export async function connectCollection() {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  // Contracts return checksummed addresses; wallet clients hold lower-case ones.
  const named = (index: number) => {
    const { account } = wallets[index] as WalletClient & { account: NonNullable<WalletClient["account"]> };
    return { account, address: getAddress(account.address) };
  };
  const [admin, minter, alice, bob, carol, royalties] = [0, 1, 2, 3, 4, 5].map(named);

  const deployCollection = () =>
    deployTracks(connection, {
      ...COLLECTION,
      admin: admin!.address,
      minter: minter!.address,
      royaltyReceiver: royalties!.address,
    });

  /** Decoded logs that `contract` emitted in transaction `hash`, in order. */
  async function eventsOf(hash: Hash | Promise<Hash>, contract: { abi: Abi; address: Address }) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    const own = receipt.logs.filter((log) => log.address.toLowerCase() === contract.address.toLowerCase());
    return summarizeEvents(parseEventLogs({ abi: contract.abi, logs: own }));
  }

  return {
    viem,
    networkHelpers,
    publicClient,
    accounts: {
      admin: admin!,
      minter: minter!,
      alice: alice!,
      bob: bob!,
      carol: carol!,
      royalties: royalties!,
    },
    deployed: () => networkHelpers.loadFixture(deployCollection),
    eventsOf,
  };
}

export type Collection = Awaited<ReturnType<Awaited<ReturnType<typeof connectCollection>>["deployed"]>>;

/** `{ eventName, args }` of decoded logs; an event without parameters (args undefined in viem) shows `{}`. */
export function summarizeEvents(logs: readonly { eventName: string; args: unknown }[]) {
  return logs.map(({ eventName, args }) => ({ eventName, args: args ?? {} }));
}
