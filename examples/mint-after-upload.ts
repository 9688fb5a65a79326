/**
 * The original design's "NFT minting" integration point: upload a track, then mint it with its content
 * hash and metadata CID, by hand; then correct its metadata the way marketplaces notice (ERC-4906). (The pipeline, `npx hardhat run scripts/mint-library.ts`, does this for a
 * whole library, resumably and exactly once; this shows the two calls it is made of.)
 *
 *   npx hardhat run examples/mint-after-upload.ts [--network localhost]
 *
 * On Hardhat's in-process network the collection lives as long as the script; on a `hardhat node` or a
 * real chain it stays, and `npx dcmx verify --contract <address>` audits it.
 */

import { join } from "node:path";
import { text } from "node:stream/consumers";
import { network } from "hardhat";
import { deployTracks } from "../ignition/modules/deploy-tracks.js";
import { DecentralizedStorageManager, metadataDigest } from "../pipeline/index.js";
import { encodeMetadata } from "../pipeline/metadata/encode.js";
import { metadataAddress } from "../pipeline/stages/metadata.js";

const library = join(import.meta.dirname, "library");
const storage = await DecentralizedStorageManager.fromEnv();
try {
  // 1. Upload the track: audio, artwork and metadata, every CID verified.
  const result = await storage.uploadCompleteTrack({
    audioFilePath: join(library, "02 Drift.flac"),
    artworkFilePath: join(library, "cover.jpg"),
  });

  // 2. Deploy a collection and mint: the contract records the SHA-256 and the metadata CID's digest.
  const connection = await network.create();
  const [artist] = await connection.viem.getWalletClients();
  const tracks = await deployTracks(connection);
  await tracks.write.mintBatch([
    artist!.account.address,
    [{ contentHash: `0x${result.contentHash}`, metadataDigest: metadataDigest(result.metadataCid) }],
  ]);

  // 3. What a marketplace reads back.
  const tokenId = await tracks.read.tokenOfContentHash([`0x${result.contentHash}`]);
  console.log(`Collection: ${tracks.address} on ${connection.networkName}`);
  console.log(`Token ${tokenId}: tokenURI ${await tracks.read.tokenURI([tokenId])}`);
  console.log(`Content hash on-chain: ${await tracks.read.contentHashOf([tokenId])}`);
  console.log(`NFT Metadata: ${result.nftMetadataUrl}`);

  // 4. A correction: pin the fixed document on the IPFS group, point the token at it. The contract emits
  //    ERC-4906 MetadataUpdate, which tells marketplaces to refresh; the content hash never changes.
  const original = JSON.parse(await text(storage.storage.node.get(result.metadataCid)));
  const { bytes, cid } = encodeMetadata({ ...original, description: "Remastered description." });
  const address = await metadataAddress(bytes, cid);
  for (const { provider } of storage.storage.providersFor("metadata", true)) {
    await provider.put({
      kind: "metadata",
      source: { bytes },
      address,
      mimeType: "application/json",
      extension: ".json",
    });
  }
  await tracks.write.setMetadataDigest([tokenId, metadataDigest(cid)]);
  // `_tokenId` is not indexed in ERC-4906, so events are filtered here rather than by the node.
  const updates = (await tracks.getEvents.MetadataUpdate({}, { fromBlock: 0n })).filter(
    (event) => (event.args as { _tokenId?: bigint })._tokenId === tokenId,
  );
  console.log(`MetadataUpdate events for token ${tokenId}: ${updates.length}`);
  console.log(`Corrected tokenURI: ${await tracks.read.tokenURI([tokenId])}`);
} finally {
  await storage.close();
}
