import { expect } from "chai";
import { networkExposure } from "../../pipeline/chain/network-exposure.js";

describe("network exposure (the one rule for 'can strangers see these tokens')", () => {
  it("counts the in-process chain and the development chain on loopback as local", () => {
    expect(networkExposure({ inProcess: true, chainId: 31337 })).to.equal("local");
    for (const rpcUrl of [
      "http://127.0.0.1:8545",
      "http://localhost:8545",
      "http://[::1]:8545",
      "http://127.1.2.3",
    ]) {
      expect(networkExposure({ inProcess: false, chainId: 31337, rpcUrl }), rpcUrl).to.equal("local");
    }
  });

  it("counts any other chain id, or the development chain id behind a remote RPC, as public", () => {
    expect(
      networkExposure({ inProcess: false, chainId: 11155111, rpcUrl: "http://127.0.0.1:8545" }),
    ).to.equal("public");
    expect(networkExposure({ inProcess: false, chainId: 1, rpcUrl: "https://eth.example.org" })).to.equal(
      "public",
    );
    expect(networkExposure({ inProcess: false, chainId: 31337, rpcUrl: "https://rpc.example.org" })).to.equal(
      "public",
    );
    // A chain that could not be asked its id is treated as public (the warning errs on the safe side).
    expect(
      networkExposure({ inProcess: false, chainId: Number.NaN, rpcUrl: "http://127.0.0.1:8545" }),
    ).to.equal("public");
  });
});
