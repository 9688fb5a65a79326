import { expect } from "chai";
import fc from "fast-check";
import { canonicalJson } from "../../pipeline/metadata/canonical-json.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth, drops undefined and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: "é" }], c: null } })).to.equal(
      '{"a":{"c":null,"d":[3,{"x":"é","z":1}]},"b":1}',
    );
  });

  it("is the same for any key order and reads back as the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        const reordered = JSON.parse(text, (_key, v) =>
          v !== null && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        );
        expect(canonicalJson(reordered)).to.equal(text);
        expect(JSON.parse(text)).to.deep.equal(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses numbers JSON cannot hold instead of writing null", () => {
    expect(() => canonicalJson({ properties: { bpm: Number.NaN } })).to.throw(
      "$.properties.bpm: NaN has no JSON form",
    );
  });
});
