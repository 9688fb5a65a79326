import { expect } from "chai";
import fc from "fast-check";
import { getAddress, zeroAddress } from "viem";
import { type Collection, connectCollection } from "./deploy.js";
import { asArg, makeTracks } from "./tracks.js";

const env = await connectCollection();
const { viem, accounts, eventsOf } = env;
const { minter, alice, bob, carol } = accounts;

/** Tokens 1..5 minted to alice in one batch, token 6 to bob alone. */
async function mintedCollection() {
  const tracks = await env.deployed();
  const library = await makeTracks(6);
  await tracks.write.mintBatch([alice.address, library.slice(0, 5).map(asArg)], { account: minter.account });
  await tracks.write.mint([bob.address, asArg(library[5]!)], { account: minter.account });
  return { tracks, library };
}

/** Carol, neither owner, approved nor operator, tries to take `tokenId` from `owner`. */
const expectCarolCannotTake = (tracks: Collection, owner: typeof alice, tokenId: bigint) =>
  viem.assertions.revertWithCustomErrorWithArgs(
    tracks.write.transferFrom([owner.address, carol.address, tokenId], { account: carol.account }),
    tracks,
    "ERC721InsufficientApproval",
    [carol.address, tokenId],
  );

describe("DCMXTracks ERC-721 behaviour", () => {
  it("reports balances and owners, and rejects the zero owner and absent tokens", async () => {
    const { tracks } = await mintedCollection();
    expect(await tracks.read.balanceOf([alice.address])).to.equal(5n);
    expect(await tracks.read.balanceOf([bob.address])).to.equal(1n);
    expect(await tracks.read.balanceOf([carol.address])).to.equal(0n);
    for (const id of [1n, 3n, 5n]) expect(await tracks.read.ownerOf([id])).to.equal(alice.address);
    expect(await tracks.read.ownerOf([6n])).to.equal(bob.address);
    await viem.assertions.revertWithCustomErrorWithArgs(
      tracks.read.balanceOf([zeroAddress]),
      tracks,
      "ERC721InvalidOwner",
      [zeroAddress],
    );
    for (const absent of [0n, 7n]) {
      for (const read of [
        tracks.read.ownerOf,
        tracks.read.getApproved,
        tracks.read.tokenURI,
        tracks.read.contentHashOf,
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          read([absent]),
          tracks,
          "ERC721NonexistentToken",
          [absent],
        );
      }
    }
  });

  it("transfers a token from the middle of a batch without moving its neighbours or its data", async () => {
    const { tracks, library } = await mintedCollection();
    const events = await eventsOf(
      tracks.write.transferFrom([alice.address, bob.address, 3n], { account: alice.account }),
      tracks,
    );
    expect(events).to.deep.equal([
      { eventName: "Transfer", args: { from: alice.address, to: bob.address, tokenId: 3n } },
    ]);
    expect(await tracks.read.ownerOf([2n])).to.equal(alice.address);
    expect(await tracks.read.ownerOf([3n])).to.equal(bob.address);
    expect(await tracks.read.ownerOf([4n])).to.equal(alice.address);
    expect(await tracks.read.balanceOf([alice.address])).to.equal(4n);
    expect(await tracks.read.balanceOf([bob.address])).to.equal(2n);
    expect(await tracks.read.contentHashOf([3n])).to.equal(library[2]!.contentHash);
    expect(await tracks.read.metadataDigestOf([3n])).to.equal(library[2]!.metadataDigest);
    expect(await tracks.read.tokenOfContentHash([library[2]!.contentHash])).to.equal(3n);
  });

  it("keeps owners and balances equal to a model over random transfer sequences", async () => {
    const holders = [alice, bob, carol];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tokenId: fc.integer({ min: 1, max: 6 }), to: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (moves) => {
          const { tracks } = await mintedCollection();
          const owners = new Map([1, 2, 3, 4, 5, 6].map((id) => [id, id === 6 ? bob : alice]));
          for (const { tokenId, to } of moves) {
            const from = owners.get(tokenId)!;
            await tracks.write.transferFrom([from.address, holders[to]!.address, BigInt(tokenId)], {
              account: from.account,
            });
            owners.set(tokenId, holders[to]!);
          }
          for (const [id, owner] of owners)
            expect(await tracks.read.ownerOf([BigInt(id)])).to.equal(owner.address);
          for (const holder of holders) {
            const held = [...owners.values()].filter((owner) => owner === holder).length;
            expect(await tracks.read.balanceOf([holder.address])).to.equal(BigInt(held));
          }
        },
      ),
      { numRuns: 8, seed: 3 },
    );
  });

  it("rejects transfers by strangers, from the wrong owner and to the zero address", async () => {
    const { tracks } = await mintedCollection();
    await expectCarolCannotTake(tracks, alice, 2n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      tracks.write.transferFrom([bob.address, carol.address, 2n], { account: alice.account }),
      tracks,
      "ERC721IncorrectOwner",
      [bob.address, 2n, alice.address],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      tracks.write.transferFrom([alice.address, zeroAddress, 2n], { account: alice.account }),
      tracks,
      "ERC721InvalidReceiver",
      [zeroAddress],
    );
  });

  it("lets an approved address transfer once, clearing the approval, and rejects approvals by non-owners", async () => {
    const { tracks } = await mintedCollection();
    const events = await eventsOf(
      tracks.write.approve([carol.address, 4n], { account: alice.account }),
      tracks,
    );
    expect(events).to.deep.equal([
      { eventName: "Approval", args: { owner: alice.address, approved: carol.address, tokenId: 4n } },
    ]);
    expect(await tracks.read.getApproved([4n])).to.equal(carol.address);
    await tracks.write.transferFrom([alice.address, bob.address, 4n], { account: carol.account });
    expect(await tracks.read.ownerOf([4n])).to.equal(bob.address);
    expect(await tracks.read.getApproved([4n])).to.equal(zeroAddress);
    await expectCarolCannotTake(tracks, bob, 4n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      tracks.write.approve([carol.address, 1n], { account: bob.account }),
      tracks,
      "ERC721InvalidApprover",
      [bob.address],
    );
  });

  it("lets an operator transfer and approve any of the owner's tokens until revoked", async () => {
    const { tracks } = await mintedCollection();
    const events = await eventsOf(
      tracks.write.setApprovalForAll([carol.address, true], { account: alice.account }),
      tracks,
    );
    expect(events).to.deep.equal([
      {
        eventName: "ApprovalForAll",
        args: { owner: alice.address, operator: carol.address, approved: true },
      },
    ]);
    expect(await tracks.read.isApprovedForAll([alice.address, carol.address])).to.equal(true);
    await tracks.write.transferFrom([alice.address, bob.address, 1n], { account: carol.account });
    await tracks.write.approve([bob.address, 5n], { account: carol.account });
    expect(await tracks.read.getApproved([5n])).to.equal(bob.address);
    await tracks.write.setApprovalForAll([carol.address, false], { account: alice.account });
    await expectCarolCannotTake(tracks, alice, 2n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      tracks.write.setApprovalForAll([zeroAddress, true], { account: alice.account }),
      tracks,
      "ERC721InvalidOperator",
      [zeroAddress],
    );
  });

  describe("safeTransferFrom", () => {
    it("delivers to an accepting receiver contract with the data, and to an externally owned account", async () => {
      const { tracks } = await mintedCollection();
      const receiver = await viem.deployContract("ERC721ReceiverMock", [0]);
      await tracks.write.safeTransferFrom([alice.address, receiver.address, 2n, "0xc0ffee"], {
        account: alice.account,
      });
      const received = await receiver.getEvents.Received({}, { fromBlock: 0n });
      expect(received.map(({ args }) => args)).to.deep.equal([
        { operator: alice.address, from: alice.address, tokenId: 2n, data: "0xc0ffee" },
      ]);
      expect(await tracks.read.ownerOf([2n])).to.equal(getAddress(receiver.address));
      await tracks.write.safeTransferFrom([alice.address, bob.address, 3n], { account: alice.account });
      expect(await tracks.read.ownerOf([3n])).to.equal(bob.address);
    });

    it("rejects a contract without the hook, one answering the wrong selector, and one reverting empty", async () => {
      const { tracks } = await mintedCollection();
      const refusing = [
        await viem.deployContract("NonReceiverMock"),
        await viem.deployContract("ERC721ReceiverMock", [1]),
        await viem.deployContract("ERC721ReceiverMock", [3]),
      ];
      for (const { address } of refusing) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          tracks.write.safeTransferFrom([alice.address, address, 2n], { account: alice.account }),
          tracks,
          "ERC721InvalidReceiver",
          [address],
        );
      }
      expect(await tracks.read.ownerOf([2n])).to.equal(alice.address);
    });

    it("bubbles up the receiver's own revert reason", async () => {
      const { tracks } = await mintedCollection();
      const receiver = await viem.deployContract("ERC721ReceiverMock", [2]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        tracks.write.safeTransferFrom([alice.address, receiver.address, 5n], { account: alice.account }),
        receiver,
        "TokenRefused",
        [5n],
      );
    });
  });
});
