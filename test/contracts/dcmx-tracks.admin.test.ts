import { expect } from "chai";
import { network } from "hardhat";
import { CID } from "multiformats/cid";
import { type Hex, zeroAddress, zeroHash } from "viem";
import { ADMIN_TRANSFER_DELAY_SECONDS } from "../../ignition/modules/DCMXTracks.js";
import { deployTracks } from "../../ignition/modules/deploy-tracks.js";
import { COLLECTION, type Collection, connectCollection, summarizeEvents } from "./deploy.js";
import { asArg, makeTrack, makeTracks, type TrackFixture } from "./tracks.js";

const env = await connectCollection();
const { viem, accounts, eventsOf } = env;
const { admin, minter, alice, bob, carol, royalties } = accounts;
const asAdmin = { account: admin.account };

/** Tokens 1..4 minted to alice. */
async function mintedCollection() {
  const tracks = await env.deployed();
  const library = await makeTracks(4);
  await tracks.write.mintBatch([alice.address, library.map(asArg)], { account: minter.account });
  return { tracks, library };
}

/**
 * A parameterless write through the wallet client: such a function's `tracks.write` signature differs between
 * builds with and without Hardhat's generated artifact types.
 */
async function callAs(
  tracks: Collection,
  who: typeof admin,
  functionName: "freezeAllMetadata" | "acceptDefaultAdminTransfer" | "cancelDefaultAdminTransfer",
) {
  const wallet = await viem.getWalletClient(who.address);
  return wallet.writeContract({ address: tracks.address, abi: tracks.abi, functionName });
}
const freezeAll = (tracks: Collection, who: typeof admin) => callAs(tracks, who, "freezeAllMetadata");

/** `pendingDefaultAdmin()`, typed the same with and without generated artifact types. */
const pendingAdmin = async (tracks: Collection) =>
  (await tracks.read.pendingDefaultAdmin()) as readonly [Hex, number];

const cidOfUri = (uri: unknown) => CID.parse((uri as string).slice("ipfs://".length));

describe("DCMXTracks administration", () => {
  describe("deployment", () => {
    it("applies every Ignition module parameter", async () => {
      const tracks = await env.deployed();
      expect(await tracks.read.name()).to.equal(COLLECTION.name);
      expect(await tracks.read.symbol()).to.equal(COLLECTION.symbol);
      expect(await tracks.read.contractURI()).to.equal(COLLECTION.contractURI);
      const [adminRole, minterRole] = [
        await tracks.read.DEFAULT_ADMIN_ROLE(),
        await tracks.read.MINTER_ROLE(),
      ];
      expect(await tracks.read.hasRole([adminRole, admin.address])).to.equal(true);
      expect(await tracks.read.hasRole([minterRole, minter.address])).to.equal(true);
      expect(await tracks.read.hasRole([minterRole, admin.address])).to.equal(false);
      expect(await tracks.read.royaltyInfo([1n, 10_000n])).to.deep.equal([royalties.address, 750n]);
      expect(await tracks.read.totalSupply()).to.equal(0n);
    });

    it("emits an event for every piece of initial state", async () => {
      const tracks = await env.deployed();
      const logs = await env.publicClient.getContractEvents({
        abi: tracks.abi,
        address: tracks.address,
        fromBlock: 0n,
      });
      const adminRole = await tracks.read.DEFAULT_ADMIN_ROLE();
      const minterRole = await tracks.read.MINTER_ROLE();
      expect(summarizeEvents(logs)).to.deep.equal([
        {
          eventName: "RoleGranted",
          args: { role: adminRole, account: admin.address, sender: admin.address },
        },
        {
          eventName: "RoleGranted",
          args: { role: minterRole, account: minter.address, sender: admin.address },
        },
        { eventName: "DefaultRoyaltyUpdated", args: { receiver: royalties.address, feeNumerator: 750n } },
        { eventName: "ContractURIUpdated", args: {} },
      ]);
    });

    it("grants MINTER_ROLE to nobody when the minter parameter is the zero address", async () => {
      // A chain of its own, so this deployment with other module parameters does not meet the fixture's.
      const tracks = await deployTracks(await network.create(), { admin: bob.address, minter: zeroAddress });
      const minterRole = await tracks.read.MINTER_ROLE();
      expect(await tracks.read.hasRole([await tracks.read.DEFAULT_ADMIN_ROLE(), bob.address])).to.equal(true);
      for (const account of [admin, minter, bob]) {
        expect(await tracks.read.hasRole([minterRole, account.address])).to.equal(false);
      }
    });

    it("rejects a zero admin and an invalid default royalty", async () => {
      const tracks = await env.deployed();
      const args = (adminAddress: Hex, receiver: Hex, bps: bigint) =>
        ["N", "S", adminAddress, 0, minter.address, receiver, bps, ""] as [
          string,
          string,
          Hex,
          number,
          Hex,
          Hex,
          bigint,
          string,
        ];
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("DCMXTracks", args(zeroAddress, royalties.address, 500n)),
        tracks,
        "AccessControlInvalidDefaultAdmin",
        [zeroAddress],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("DCMXTracks", args(admin.address, royalties.address, 10_001n)),
        tracks,
        "ERC2981InvalidDefaultRoyalty",
        [10_001n, 10_000n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("DCMXTracks", args(admin.address, zeroAddress, 500n)),
        tracks,
        "ERC2981InvalidDefaultRoyaltyReceiver",
        [zeroAddress],
      );
    });
  });

  it("answers supportsInterface for ERC-165, 721, 721 Metadata, 2981, 4906, AccessControl and its default admin rules only", async () => {
    const tracks = await env.deployed();
    // Interface ids as published in each standard.
    for (const id of [
      "0x01ffc9a7",
      "0x80ac58cd",
      "0x5b5e139f",
      "0x2a55205a",
      "0x49064906",
      "0x7965db0b",
      "0x31498786",
    ] as const) {
      expect(await tracks.read.supportsInterface([id])).to.equal(true, id);
    }
    for (const id of ["0xffffffff", "0x780e9d63", "0x12345678"] as const) {
      expect(await tracks.read.supportsInterface([id])).to.equal(false, id);
    }
  });

  describe("roles", () => {
    it("lets only the admin grant and revoke roles", async () => {
      const tracks = await env.deployed();
      const [adminRole, minterRole] = [
        await tracks.read.DEFAULT_ADMIN_ROLE(),
        await tracks.read.MINTER_ROLE(),
      ];
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.grantRole([minterRole, carol.address], { account: minter.account }),
        tracks,
        "AccessControlUnauthorizedAccount",
        [minter.address, adminRole],
      );
      const events = await eventsOf(tracks.write.grantRole([minterRole, carol.address], asAdmin), tracks);
      expect(events).to.deep.equal([
        {
          eventName: "RoleGranted",
          args: { role: minterRole, account: carol.address, sender: admin.address },
        },
      ]);
      await tracks.write.revokeRole([minterRole, carol.address], asAdmin);
      expect(await tracks.read.hasRole([minterRole, carol.address])).to.equal(false);
    });

    it("keeps exactly one admin: DEFAULT_ADMIN_ROLE cannot be granted, only transferred", async () => {
      const tracks = await env.deployed();
      const adminRole = await tracks.read.DEFAULT_ADMIN_ROLE();
      expect(await tracks.read.defaultAdmin()).to.equal(admin.address);
      expect(await tracks.read.owner()).to.equal(admin.address);
      await viem.assertions.revertWithCustomError(
        tracks.write.grantRole([adminRole, bob.address], asAdmin),
        tracks,
        "AccessControlEnforcedDefaultAdminRules",
      );
      await viem.assertions.revertWithCustomError(
        tracks.write.revokeRole([adminRole, admin.address], asAdmin),
        tracks,
        "AccessControlEnforcedDefaultAdminRules",
      );
      expect(await tracks.read.hasRole([adminRole, bob.address])).to.equal(false);
    });

    it("moves the admin in two steps, not before the delay, and the old admin loses every right", async () => {
      const tracks = await env.deployed();
      const adminRole = await tracks.read.DEFAULT_ADMIN_ROLE();
      const delay = await tracks.read.defaultAdminDelay();
      expect(delay).to.equal(ADMIN_TRANSFER_DELAY_SECONDS);
      // The minting key cannot start a transfer: a leaked hot key cannot take the collection.
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.beginDefaultAdminTransfer([minter.address], { account: minter.account }),
        tracks,
        "AccessControlUnauthorizedAccount",
        [minter.address, adminRole],
      );
      const events = await eventsOf(tracks.write.beginDefaultAdminTransfer([bob.address], asAdmin), tracks);
      const [pending, schedule] = await pendingAdmin(tracks);
      expect(pending).to.equal(bob.address);
      expect(events).to.deep.equal([
        {
          eventName: "DefaultAdminTransferScheduled",
          args: { newAdmin: bob.address, acceptSchedule: schedule },
        },
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        callAs(tracks, bob, "acceptDefaultAdminTransfer"),
        tracks,
        "AccessControlEnforcedDefaultAdminDelay",
        [schedule],
      );
      await env.networkHelpers.time.increaseTo(schedule + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        callAs(tracks, carol, "acceptDefaultAdminTransfer"),
        tracks,
        "AccessControlInvalidDefaultAdmin",
        [carol.address],
      );
      await callAs(tracks, bob, "acceptDefaultAdminTransfer");
      expect(await tracks.read.defaultAdmin()).to.equal(bob.address);
      expect(await tracks.read.hasRole([adminRole, admin.address])).to.equal(false);
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setContractURI(["ipfs://old-admin"], asAdmin),
        tracks,
        "AccessControlUnauthorizedAccount",
        [admin.address, adminRole],
      );
      await tracks.write.setContractURI(["ipfs://new-admin"], { account: bob.account });
      expect(await tracks.read.contractURI()).to.equal("ipfs://new-admin");
    });

    it("lets the admin cancel a transfer it did not mean", async () => {
      const tracks = await env.deployed();
      await tracks.write.beginDefaultAdminTransfer([carol.address], asAdmin);
      await callAs(tracks, admin, "cancelDefaultAdminTransfer");
      const [pending] = await pendingAdmin(tracks);
      expect(pending).to.equal(zeroAddress);
      await env.networkHelpers.time.increase(Number(ADMIN_TRANSFER_DELAY_SECONDS) + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        callAs(tracks, carol, "acceptDefaultAdminTransfer"),
        tracks,
        "AccessControlInvalidDefaultAdmin",
        [carol.address],
      );
      expect(await tracks.read.defaultAdmin()).to.equal(admin.address);
    });

    it("restricts every admin function to DEFAULT_ADMIN_ROLE", async () => {
      const { tracks } = await mintedCollection();
      const adminRole = await tracks.read.DEFAULT_ADMIN_ROLE();
      const asMinter = { account: minter.account };
      const attempts = [
        () => tracks.write.setMetadataDigest([1n, `0x${"11".repeat(32)}`], asMinter),
        () => tracks.write.setMetadataDigests([1n, [`0x${"11".repeat(32)}`]], asMinter),
        () => tracks.write.freezeMetadata([1n], asMinter),
        () => freezeAll(tracks, minter),
        () => tracks.write.setContractURI(["ipfs://x"], asMinter),
        () => tracks.write.setDefaultRoyalty([bob.address, 100n], asMinter),
        () => tracks.write.setTokenRoyalty([1n, bob.address, 100n], asMinter),
        () => tracks.write.resetTokenRoyalty([1n], asMinter),
      ];
      for (const attempt of attempts) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          attempt(),
          tracks,
          "AccessControlUnauthorizedAccount",
          [minter.address, adminRole],
        );
      }
    });
  });

  describe("royalties (ERC-2981)", () => {
    it("computes the default royalty with floor rounding", async () => {
      const { tracks } = await mintedCollection();
      const cases: [bigint, bigint][] = [
        [0n, 0n],
        [1n, 0n],
        [13n, 0n],
        [14n, 1n],
        [10_001n, 750n],
        [10n ** 18n, 75n * 10n ** 15n],
      ];
      for (const [price, royalty] of cases) {
        expect(await tracks.read.royaltyInfo([1n, price])).to.deep.equal([royalties.address, royalty]);
      }
    });

    it("lets the admin change the default, override one token and reset it, with events", async () => {
      const { tracks } = await mintedCollection();
      expect(
        await eventsOf(tracks.write.setDefaultRoyalty([bob.address, 1_000n], asAdmin), tracks),
      ).to.deep.equal([
        { eventName: "DefaultRoyaltyUpdated", args: { receiver: bob.address, feeNumerator: 1_000n } },
      ]);
      expect(
        await eventsOf(tracks.write.setTokenRoyalty([2n, carol.address, 250n], asAdmin), tracks),
      ).to.deep.equal([
        {
          eventName: "TokenRoyaltyUpdated",
          args: { tokenId: 2n, receiver: carol.address, feeNumerator: 250n },
        },
      ]);
      expect(await tracks.read.royaltyInfo([1n, 1_000_000n])).to.deep.equal([bob.address, 100_000n]);
      expect(await tracks.read.royaltyInfo([2n, 1_000_000n])).to.deep.equal([carol.address, 25_000n]);
      expect(await eventsOf(tracks.write.resetTokenRoyalty([2n], asAdmin), tracks)).to.deep.equal([
        { eventName: "TokenRoyaltyReset", args: { tokenId: 2n } },
      ]);
      expect(await tracks.read.royaltyInfo([2n, 1_000_000n])).to.deep.equal([bob.address, 100_000n]);
    });

    it("rejects invalid royalties and royalties for absent tokens", async () => {
      const { tracks } = await mintedCollection();
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setDefaultRoyalty([bob.address, 10_001n], asAdmin),
        tracks,
        "ERC2981InvalidDefaultRoyalty",
        [10_001n, 10_000n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setTokenRoyalty([2n, bob.address, 10_001n], asAdmin),
        tracks,
        "ERC2981InvalidTokenRoyalty",
        [2n, 10_001n, 10_000n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setTokenRoyalty([2n, zeroAddress, 100n], asAdmin),
        tracks,
        "ERC2981InvalidTokenRoyaltyReceiver",
        [2n, zeroAddress],
      );
      for (const attempt of [
        () => tracks.write.setTokenRoyalty([5n, bob.address, 100n], asAdmin),
        () => tracks.write.resetTokenRoyalty([5n], asAdmin),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(attempt(), tracks, "ERC721NonexistentToken", [
          5n,
        ]);
      }
    });
  });

  it("sets the ERC-7572 contract URI with ContractURIUpdated", async () => {
    const tracks = await env.deployed();
    const uri = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    expect(await eventsOf(tracks.write.setContractURI([uri], asAdmin), tracks)).to.deep.equal([
      { eventName: "ContractURIUpdated", args: {} },
    ]);
    expect(await tracks.read.contractURI()).to.equal(uri);
  });

  describe("metadata updates (ERC-4906)", () => {
    const corrected = (n: number) => makeTrack(100 + n, "corrected");

    it("replaces one token's metadata: new tokenURI, same content hash, exact events", async () => {
      const { tracks, library } = await mintedCollection();
      const fix = await corrected(2);
      const events = await eventsOf(
        tracks.write.setMetadataDigest([2n, fix.metadataDigest], asAdmin),
        tracks,
      );
      expect(events).to.deep.equal([
        { eventName: "MetadataDigestUpdated", args: { tokenId: 2n, metadataDigest: fix.metadataDigest } },
        { eventName: "MetadataUpdate", args: { _tokenId: 2n } },
      ]);
      expect(cidOfUri(await tracks.read.tokenURI([2n])).equals(fix.metadataCid)).to.equal(true);
      expect(await tracks.read.metadataDigestOf([2n])).to.equal(fix.metadataDigest);
      expect(await tracks.read.contentHashOf([2n])).to.equal(library[1]!.contentHash);
      expect(cidOfUri(await tracks.read.tokenURI([1n])).equals(library[0]!.metadataCid)).to.equal(true);
    });

    it("replaces a range with one BatchMetadataUpdate", async () => {
      const { tracks, library } = await mintedCollection();
      const fixes = await Promise.all([2, 3, 4].map(corrected));
      const digests = fixes.map((fix) => fix.metadataDigest);
      const events = await eventsOf(tracks.write.setMetadataDigests([2n, digests], asAdmin), tracks);
      expect(events).to.deep.equal([
        ...fixes.map((fix, i) => ({
          eventName: "MetadataDigestUpdated",
          args: { tokenId: BigInt(2 + i), metadataDigest: fix.metadataDigest },
        })),
        { eventName: "BatchMetadataUpdate", args: { _fromTokenId: 2n, _toTokenId: 4n } },
      ]);
      const expected: TrackFixture[] = [library[0]!, ...fixes];
      for (const [i, track] of expected.entries()) {
        expect(cidOfUri(await tracks.read.tokenURI([BigInt(i + 1)])).equals(track.metadataCid)).to.equal(
          true,
        );
      }
    });

    it("rejects zero digests, absent tokens, and empty or oversized ranges", async () => {
      const { tracks } = await mintedCollection();
      const digest = (await corrected(1)).metadataDigest;
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setMetadataDigest([1n, zeroHash], asAdmin),
        tracks,
        "ZeroMetadataDigest",
        [0n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setMetadataDigests([1n, [digest, zeroHash]], asAdmin),
        tracks,
        "ZeroMetadataDigest",
        [1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setMetadataDigest([5n, digest], asAdmin),
        tracks,
        "ERC721NonexistentToken",
        [5n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setMetadataDigests([3n, [digest, digest, digest]], asAdmin),
        tracks,
        "ERC721NonexistentToken",
        [5n],
      );
      await viem.assertions.revertWithCustomError(
        tracks.write.setMetadataDigests([1n, []], asAdmin),
        tracks,
        "EmptyBatch",
      );
      const maxBatch = (await tracks.read.MAX_BATCH_SIZE()) as bigint;
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.setMetadataDigests([1n, Array(Number(maxBatch) + 1).fill(digest)], asAdmin),
        tracks,
        "BatchTooLarge",
        [maxBatch + 1n, maxBatch],
      );
    });
  });

  describe("freeze", () => {
    it("freezes one token at its current URI, emitting PermanentURI, and blocks every later change to it", async () => {
      const { tracks } = await mintedCollection();
      const fix = await makeTrack(1, "corrected");
      await tracks.write.setMetadataDigest([2n, fix.metadataDigest], asAdmin);
      const uri = `ipfs://${fix.metadataCid.toString()}`;
      expect(await eventsOf(tracks.write.freezeMetadata([2n], asAdmin), tracks)).to.deep.equal([
        { eventName: "PermanentURI", args: { value: uri, id: 2n } },
      ]);
      expect(await tracks.read.isMetadataFrozen([2n])).to.equal(true);
      expect(await tracks.read.isMetadataFrozen([3n])).to.equal(false);
      const again = (await makeTrack(2, "again")).metadataDigest;
      for (const attempt of [
        () => tracks.write.setMetadataDigest([2n, again], asAdmin),
        () => tracks.write.setMetadataDigests([1n, [again, again]], asAdmin),
        () => tracks.write.freezeMetadata([2n], asAdmin),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(attempt(), tracks, "MetadataIsFrozen", [2n]);
      }
      expect(await tracks.read.tokenURI([2n])).to.equal(uri);
      await tracks.write.setMetadataDigest([3n, fix.metadataDigest], asAdmin);
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.freezeMetadata([5n], asAdmin),
        tracks,
        "ERC721NonexistentToken",
        [5n],
      );
    });

    it("freezes all tokens, including ones minted afterwards, once only", async () => {
      const { tracks } = await mintedCollection();
      expect(await eventsOf(freezeAll(tracks, admin), tracks)).to.deep.equal([
        { eventName: "AllMetadataFrozen", args: {} },
      ]);
      await tracks.write.mint([bob.address, asArg(await makeTrack(5))], { account: minter.account });
      const digest = (await makeTrack(1, "corrected")).metadataDigest;
      for (const tokenId of [1n, 5n]) {
        expect(await tracks.read.isMetadataFrozen([tokenId])).to.equal(true);
        await viem.assertions.revertWithCustomErrorWithArgs(
          tracks.write.setMetadataDigest([tokenId, digest], asAdmin),
          tracks,
          "MetadataIsFrozen",
          [tokenId],
        );
      }
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.freezeMetadata([3n], asAdmin),
        tracks,
        "MetadataIsFrozen",
        [3n],
      );
      await viem.assertions.revertWithCustomError(freezeAll(tracks, admin), tracks, "AllMetadataIsFrozen");
      expect(await tracks.read.ownerOf([5n])).to.equal(bob.address);
    });
  });
});
