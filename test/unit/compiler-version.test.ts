import { createRequire } from "node:module";
import { expect } from "chai";

const require = createRequire(import.meta.url);

interface SolcModule {
  cwrap(name: string, returns: string | null, parameters: string[]): (...args: unknown[]) => string;
}
const lazy = require("../../compiler/soljson-lazy.cjs") as SolcModule & { longVersion: string };

describe("compiler/soljson-lazy.cjs (the solc Hardhat builds with)", () => {
  it("declares the version of the installed solc package", () => {
    const solc = require("solc") as { version(): string };
    expect(lazy.longVersion).to.equal(solc.version());
    expect(lazy.cwrap("solidity_version", "string", [])()).to.equal(solc.version());
  });

  it("compiles through the real module once asked to", () => {
    const input = {
      language: "Solidity",
      sources: {
        "A.sol": {
          content:
            "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\ncontract A { uint256 public x = 7; }",
        },
      },
      settings: { outputSelection: { "*": { "*": ["evm.bytecode.object"] } } },
    };
    const compile = lazy.cwrap("solidity_compile", "string", ["string", "number", "number"]);
    const output = JSON.parse(compile(JSON.stringify(input), 0, 0));
    expect(output.errors ?? []).to.deep.equal([]);
    expect(output.contracts["A.sol"].A.evm.bytecode.object).to.match(/^[0-9a-f]{100,}$/);
  });
});
