import { expect } from "chai";
import { checkMetadata, fetchVerified } from "../../pipeline/audit/check-metadata.js";
import type { MetadataSource } from "../../pipeline/audit/metadata-source.js";
import { ProviderError } from "../../pipeline/errors.js";
import { encodeMetadata } from "../../pipeline/metadata/encode.js";

/** Sources answering from memory: the verdict logic is pure, so no server is needed to exercise it. */
const holding = (name: string, blocks: Map<string, Uint8Array>): MetadataSource => ({
  name,
  fetch: async (cid) => blocks.get(cid),
});
const lying = (name: string, bytes: Uint8Array): MetadataSource => ({ name, fetch: async () => bytes });
const down = (name: string): MetadataSource => ({
  name,
  fetch: async () => {
    throw new ProviderError("HTTP", "connection refused", { provider: name });
  },
});

describe("audit: metadata fetched by CID", () => {
  const doc = { name: "A", sha: "1".repeat(64) };
  const { bytes, cid } = encodeMetadata(doc);
  const other = encodeMetadata({ name: "B" }).bytes;
  const blocks = new Map([[cid, bytes]]);
  const empty = new Map<string, Uint8Array>();

  it("takes the first source whose bytes match the CID, after a lying one", async () => {
    const result = await fetchVerified(cid, [
      holding("none", empty),
      lying("liar", other),
      holding("good", blocks),
    ]);
    expect(result.bytes).to.deep.equal(bytes);
    expect(result.check).to.include({ status: "ok", detail: "from good" });
  });

  it("calls bytes that do not match the CID corrupt, naming the source", async () => {
    const result = await fetchVerified(cid, [holding("none", empty), lying("liar", other)]);
    expect(result.bytes).to.equal(undefined);
    expect(result.check.status).to.equal("corrupt");
    expect(result.check.detail).to.include("liar");
  });

  it("tells a source that cannot be asked (unreachable) from one that does not hold it (missing)", async () => {
    expect((await fetchVerified(cid, [holding("none", empty)])).check.status).to.equal("missing");
    expect((await fetchVerified(cid, [holding("none", empty), down("gw")])).check.status).to.equal(
      "unreachable",
    );
  });

  it("calls a verified document that is not track metadata corrupt, naming the field", async () => {
    const token = { tokenId: 1n, contentHash: "1".repeat(64), tokenURI: `ipfs://${cid}` };
    const { check, metadata } = await checkMetadata(token, [holding("good", blocks)]);
    expect(metadata).to.equal(undefined);
    expect(check.status).to.equal("corrupt");
    expect(check.detail).to.match(/description|animation_url|properties/);
  });

  it("refuses a tokenURI that is not ipfs://<cid>", async () => {
    const token = { tokenId: 1n, contentHash: "1".repeat(64), tokenURI: "https://example.org/1.json" };
    const { check } = await checkMetadata(token, [holding("good", blocks)]);
    expect(check).to.include({ status: "corrupt", locator: null });
  });
});
