import { expect } from "chai";
import { type TrackMetadata, TrackMetadataSchema } from "../../pipeline/metadata/track-metadata.js";
import { renderPage } from "../../pipeline/page/render.js";

const HOSTILE = `</script><script>alert("x")</script><img src=x onerror=alert(1)>`;
const CID = "bafkreiabwdc3kwttawmb25q7qgodmrpmhpsl5ceh2jing52bnzmxddte3i";

/** A track whose tags were written by someone hostile: every text field carries markup. */
const metadata: TrackMetadata = TrackMetadataSchema.parse({
  name: HOSTILE,
  description: HOSTILE,
  animation_url: `ipfs://${CID}`,
  attributes: [],
  version: "catalog-20220222",
  title: HOSTILE,
  artist: HOSTILE,
  duration: 3,
  mimeType: "audio/mpeg",
  genre: HOSTILE,
  credits: [{ name: HOSTILE, collaboratorType: HOSTILE }],
  properties: {
    sha256: "a".repeat(64),
    size: 1,
    cid: CID,
    cidProfile: "unixfs-v1-2025",
    audio: { format: "mp3", durationSeconds: 3, lossless: false },
    storage: { ipfs: `ipfs://${CID}` },
  },
});

describe("release page markup", () => {
  it("escapes every tag-derived text, so a track's tags cannot put markup or script in the page", () => {
    const html = renderPage(
      {
        name: HOSTILE,
        description: HOSTILE,
        chainId: 31337,
        contract: `0x${"1".repeat(40)}`,
        tracks: [{ tokenId: "7", metadataCid: CID, metadata }],
      },
      {
        rpc: "http://127.0.0.1:8545",
        gateway: "http://127.0.0.1:8180",
        contract: `0x${"1".repeat(40)}`,
        chainId: 31337,
      },
      () => undefined,
    );
    expect(html).to.not.include("<script>alert");
    expect(html).to.not.include("<img src=x");
    // The page's own two scripts and nothing else.
    expect(html.match(/<script/g)).to.have.length(2);
    expect(html).to.include('data-token-id="7"');
    expect(html).to.include(`src="http://127.0.0.1:8180/ipfs/${CID}"`);
  });
});
