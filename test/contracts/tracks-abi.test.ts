import { expect } from "chai";
import { artifacts } from "hardhat";
import { type AbiItem, toEventSignature, toFunctionSignature } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";

/** A fragment's identity: kind, signature, and for functions their outputs and mutability. */
function shape(item: AbiItem): string {
  if (item.type === "function")
    return `function ${toFunctionSignature(item)} ${item.stateMutability} -> ${item.outputs.map((o) => o.type).join(",")}`;
  if (item.type === "event")
    return `event ${toEventSignature(item)} ${item.inputs.map((i) => (i.indexed ? "i" : "-")).join("")}`;
  if (item.type === "error") return `error ${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
  return item.type;
}

describe("the pipeline's DCMXTracks ABI", () => {
  it("has every fragment exactly as the compiled contract declares it", async () => {
    const compiled = new Set(
      ((await artifacts.readArtifact("DCMXTracks")).abi as readonly AbiItem[]).map(shape),
    );
    for (const item of tracksAbi) expect([...compiled], shape(item)).to.include(shape(item));
  });
});
