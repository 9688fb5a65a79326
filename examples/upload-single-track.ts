/**
 * Example 1 of the original design: one track with its artwork and metadata, through the programmatic API.
 * Audio goes to Storj (or, with no keys set, the embedded local S3) and the IPFS backup; artwork and the
 * ERC-721 metadata to IPFS; every CID is verified before the call returns.
 *
 *   npx tsx examples/upload-single-track.ts
 *
 * In your own project, import from "dcmx-mint" instead of "../pipeline/index.js".
 */
import { join } from "node:path";
import { DecentralizedStorageManager } from "../pipeline/index.js";

const library = join(import.meta.dirname, "library");
const storage = await DecentralizedStorageManager.fromEnv();
try {
  const result = await storage.uploadCompleteTrack({
    audioFilePath: join(library, "01 Opening.mp3"),
    artworkFilePath: join(library, "cover.jpg"),
    trackMetadata: {
      artist: "The Loopback Quartet",
      title: "Opening",
      album: "Loopback Sessions",
      description: "Limited edition #1",
    },
  });
  console.log(`Content hash: ${result.contentHash}`);
  for (const [provider, url] of Object.entries(result.audio.urls)) console.log(`${provider} URL: ${url}`);
  console.log(`IPFS CID: ${result.audio.cid}`);
  console.log(`NFT Metadata: ${result.nftMetadataUrl}`);
} finally {
  await storage.close();
}
