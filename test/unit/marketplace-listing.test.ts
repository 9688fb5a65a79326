import { expect } from "chai";
import { parseEther } from "viem";
import { InputError } from "../../pipeline/errors.js";
import { parseExpiry, parsePrice, parseTokenList } from "../../pipeline/marketplace/listing/list-options.js";
import { salePayees } from "../../pipeline/marketplace/listing/payees.js";

const ROYALTIES = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
const OPENSEA = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";

describe("dcmx list options", () => {
  it("reads --expires as minutes, hours, days or weeks, and refuses anything else", () => {
    expect([parseExpiry("90m"), parseExpiry("12h"), parseExpiry("30d"), parseExpiry("2w")]).to.deep.equal([
      5_400, 43_200, 2_592_000, 1_209_600,
    ]);
    for (const bad of ["30", "0d", "1.5d", "d", "366d", "30 days", "-1h"]) {
      expect(() => parseExpiry(bad), bad).to.throw(InputError, "--expires");
    }
  });

  it("reads --tokens as ids and ranges, each once, in order; ids start at 1", () => {
    expect(parseTokenList("3, 1,7-9,8")).to.deep.equal([3n, 1n, 7n, 8n, 9n]);
    for (const bad of ["0", "5-2", "a", "1,,2", "1-"]) {
      expect(() => parseTokenList(bad), bad).to.throw(InputError, "--tokens");
    }
  });

  it("reads --price in ether, up to 18 decimals, more than zero", () => {
    expect(parsePrice("0.05")).to.equal(parseEther("0.05"));
    for (const bad of ["0", "-1", "1e3", "0.0000000000000000001", "one"]) {
      expect(() => parsePrice(bad), bad).to.throw(InputError, "--price");
    }
  });
});

describe("who a sale pays besides the seller", () => {
  const price = parseEther("1");

  it("pays the royalty and each fee by basis points of the price", () => {
    const payees = salePayees(price, { recipient: ROYALTIES, amount: parseEther("0.075") }, [
      { recipient: OPENSEA, bps: 100 },
    ]);
    expect(payees).to.deep.equal([
      { recipient: ROYALTIES, amount: parseEther("0.075") },
      { recipient: OPENSEA, amount: parseEther("0.01") },
    ]);
  });

  it("does not pay the royalty receiver twice when a fee also names it: the larger amount once", () => {
    const payees = salePayees(price, { recipient: ROYALTIES, amount: parseEther("0.075") }, [
      { recipient: ROYALTIES.toLowerCase() as `0x${string}`, bps: 500 },
    ]);
    expect(payees).to.deep.equal([{ recipient: ROYALTIES, amount: parseEther("0.075") }]);
  });

  it("refuses a price that royalty and fees would use up", () => {
    expect(() =>
      salePayees(100n, { recipient: ROYALTIES, amount: 90n }, [{ recipient: OPENSEA, bps: 1_000 }]),
    ).to.throw(InputError, "--price");
  });
});
