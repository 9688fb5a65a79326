import { expect } from "chai";
import { artifacts } from "hardhat";
import { type AbiItem, toEventSignature, toFunctionSignature } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { conduitControllerAbi, seaportAbi } from "../../pipeline/marketplace/seaport/seaport-abi.js";

/** A fragment's identity: kind, signature, and for functions their outputs and mutability. */
function shape(item: AbiItem): string {
  if (item.type === "function")
    return `function ${toFunctionSignature(item)} ${item.stateMutability} -> ${item.outputs.map((o) => o.type).join(",")}`;
  if (item.type === "event")
    return `event ${toEventSignature(item)} ${item.inputs.map((i) => (i.indexed ? "i" : "-")).join("")}`;
  if (item.type === "error") return `error ${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
  return item.type;
}

// The hand-written ABIs the pipeline calls, each against the contract it is compiled from.
const CHECKED: [string, string, readonly AbiItem[]][] = [
  ["DCMXTracks", "DCMXTracks", tracksAbi],
  ["Seaport 1.6", "Seaport", seaportAbi],
  ["Seaport's ConduitController", "ConduitController", conduitControllerAbi],
];

for (const [title, artifact, abi] of CHECKED) {
  describe(`the pipeline's ${title} ABI`, () => {
    it("has every fragment exactly as the compiled contract declares it", async () => {
      const compiled = new Set(
        ((await artifacts.readArtifact(artifact)).abi as readonly AbiItem[]).map(shape),
      );
      for (const item of abi) {
        expect([...compiled], shape(item)).to.include(shape(item));
      }
    });
  });
}
