import { network } from "hardhat";
import type { Hash } from "viem";
import { deployTracks } from "../ignition/modules/deploy-tracks.js";
import { asArg, makeTracks } from "../test/contracts/tracks.js";

// Gas of DCMXTracks against the textbook OpenZeppelin ERC721URIStorage collection, on the in-process chain.
// Both contracts first mint once to the same collector, so every measured mint is the steady state (the
// collector's balance and the id counters are already non-zero), not a first-ever write.
const BATCH_SIZES = [1, 10, 50, 100] as const;
const RATIO_BATCH = 50;

const connection = await network.create();
const { viem } = connection;
const publicClient = await viem.getPublicClient();
const [, collector, buyer] = await viem.getWalletClients();
const gasOf = async (hash: Promise<Hash>) =>
  (await publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;

const reference = await viem.deployContract("ReferenceURIStorageNFT");
const dcmx = await deployTracks(connection);

const library = await makeTracks(2 + BATCH_SIZES.reduce((sum, n) => sum + n, 0));
let next = 0;
const take = (count: number) => {
  const tracks = library.slice(next, next + count).map(asArg);
  next += count;
  return tracks;
};
const referenceMint = (i: number) =>
  gasOf(reference.write.mint([collector!.account.address, `ipfs://${library[i]!.metadataCid.toString()}`]));

await referenceMint(0);
const referenceGas = await referenceMint(1);
await gasOf(dcmx.write.mint([collector!.account.address, take(1)[0]!]));

const rows: [string, bigint, number][] = [["reference mint (ERC721URIStorage)", referenceGas, 1]];
rows.push(["DCMXTracks mint", await gasOf(dcmx.write.mint([collector!.account.address, take(1)[0]!])), 1]);
const batchGas = new Map<number, bigint>();
for (const size of BATCH_SIZES) {
  const gas = await gasOf(dcmx.write.mintBatch([collector!.account.address, take(size)]));
  batchGas.set(size, gas);
  rows.push([`DCMXTracks mintBatch of ${size}`, gas, size]);
}

// Transfers: the reference token, then a DCMXTracks token still owned through its batch (first transfer
// writes its own owner slot), then the same token again (plain OpenZeppelin path).
const [from, to] = [collector!.account, buyer!.account];
const referenceTransfer = gasOf(
  reference.write.transferFrom([from.address, to.address, 1n], { account: from }),
);
rows.push(["reference transferFrom", await referenceTransfer, 1]);
const batchToken = ((await dcmx.read.totalSupply()) as bigint) - 1n;
const dcmxTransfer = (sender: typeof from, receiver: typeof to) =>
  gasOf(dcmx.write.transferFrom([sender.address, receiver.address, batchToken], { account: sender }));
rows.push(["DCMXTracks transferFrom (batch-owned token)", await dcmxTransfer(from, to), 1]);
rows.push(["DCMXTracks transferFrom (same token back)", await dcmxTransfer(to, from), 1]);

const width = Math.max(...rows.map(([label]) => label.length));
console.log(`${"operation".padEnd(width)}  ${"gasUsed".padStart(10)}  ${"gas/track".padStart(10)}`);
for (const [label, gas, count] of rows) {
  console.log(
    `${label.padEnd(width)}  ${gas.toString().padStart(10)}  ${(gas / BigInt(count)).toString().padStart(10)}`,
  );
}
const ratio = Number(batchGas.get(RATIO_BATCH)!) / RATIO_BATCH / Number(referenceGas);
console.log(`gas-per-track-ratio ${ratio.toFixed(4)}`);
