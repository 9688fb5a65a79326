import { expect } from "chai";
import { network } from "hardhat";

describe("toolchain smoke", () => {
  it("compiles with the bundled solc and deploys on the in-process chain", async () => {
    const { viem } = await network.create();
    const smoke = await viem.deployContract("Smoke");
    const [deployer] = await viem.getWalletClients();
    expect(await smoke.read.balanceOf([deployer!.account.address])).to.equal(1n);
  });
});
