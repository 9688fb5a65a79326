import { expect } from "chai";
import { openSeaChain, openSeaItemUrl } from "../../pipeline/marketplace/opensea/chains.js";
import { collectionAdvice, tokenAdvice } from "../../pipeline/marketplace/opensea/standard.js";
import { CollectionMetadataSchema } from "../../pipeline/metadata/collection.js";
import { MUSIC_METADATA_VERSION, TrackMetadataSchema } from "../../pipeline/metadata/track-metadata.js";

const CID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

function track(overrides: Record<string, unknown> = {}, artwork = { width: 3000, height: 3000 }) {
  return TrackMetadataSchema.parse({
    name: "Song",
    description: "A song",
    image: `ipfs://${CID}`,
    animation_url: `ipfs://${CID}`,
    attributes: [],
    version: MUSIC_METADATA_VERSION,
    title: "Song",
    artist: "Artist",
    duration: 1,
    mimeType: "audio/mpeg",
    properties: {
      sha256: "0".repeat(64),
      size: 1000,
      cid: CID,
      cidProfile: "unixfs-v1-2025",
      audio: { format: "mp3", durationSeconds: 1, lossless: false },
      artwork: {
        sha256: "1".repeat(64),
        cid: CID,
        size: 10,
        mimeType: "image/png",
        source: "cover.png",
        ...artwork,
      },
      storage: { ipfs: `ipfs://${CID}` },
    },
    ...overrides,
  });
}

describe("OpenSea's metadata standard", () => {
  it("has nothing to say of a token with large artwork and playable audio", () => {
    expect(tokenAdvice({ metadata: track(), animationMimeType: "audio/mpeg" })).to.deep.equal([]);
  });

  it("advises on small artwork, unplayable or missing animation, and no image", () => {
    const small = tokenAdvice({
      metadata: track({}, { width: 600, height: 600 }),
      animationMimeType: "audio/flac",
    });
    expect(small.map((a) => a.field)).to.deep.equal(["image", "animation_url"]);
    expect(small[1]!.message).to.include("audio/flac");
    const bare = tokenAdvice({ metadata: track({ image: undefined }), animationMimeType: null });
    expect(bare.map((a) => a.message.split(/[:;]/)[0])).to.deep.equal([
      "no image",
      "no IPFS provider serves what animation_url points at",
    ]);
  });

  it("accepts background_color only as six hex digits without #", () => {
    expect(track({ background_color: "1a2B3c" }).background_color).to.equal("1a2B3c");
    expect(() => track({ background_color: "#1a2b3c" })).to.throw(/six hex digits without #/);
  });

  it("advises a collection document without featured image, banner or link", () => {
    const doc = CollectionMetadataSchema.parse({ name: "R", description: "D", image: `ipfs://${CID}` });
    expect(collectionAdvice(doc).map((a) => a.field)).to.deep.equal([
      "featured_image",
      "banner_image",
      "external_link",
    ]);
    const full = {
      ...doc,
      featured_image: `ipfs://${CID}`,
      banner_image: `ipfs://${CID}`,
      external_link: "https://x.example/",
    };
    expect(collectionAdvice(CollectionMetadataSchema.parse(full))).to.deep.equal([]);
  });

  it("maps chain ids to OpenSea's slugs and item pages, and names a chain it does not list", () => {
    expect(openSeaItemUrl(openSeaChain(1), "0xABC", 7n)).to.equal("https://opensea.io/item/ethereum/0xabc/7");
    expect(openSeaItemUrl(openSeaChain(84532), "0xabc", 1n)).to.equal(
      "https://testnets.opensea.io/item/base_sepolia/0xabc/1",
    );
    expect(() => openSeaChain(31337)).to.throw(/chain 31337 is not one OpenSea lists/);
  });
});
