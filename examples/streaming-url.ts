/**
 * The original design's "streaming playback": a signed Storj URL (temporary) and an IPFS gateway URL
 * (permanent) for an uploaded track, then both played back: each is fetched and its SHA-256 compared
 * with the track's content hash. `npx dcmx url <token-id>` prints the same URLs for a minted token.
 *
 *   npx tsx examples/streaming-url.ts
 *
 * With the embedded defaults both URLs point at servers this script runs (127.0.0.1), so they work while
 * it runs; with Storj keys and IPFS_GATEWAY_URL set they work for anyone.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DecentralizedStorageManager } from "../pipeline/index.js";

const storage = await DecentralizedStorageManager.fromEnv();
try {
  const track = await storage.uploadCompleteTrack({
    audioFilePath: join(import.meta.dirname, "library", "03 Night Bus.ogg"),
  });
  const primary = storage.storage.storj;
  const onStorj = track.audio.stored.find((o) => o.provider === primary.name)!;
  const signed = await primary.url(onStorj, { expiresInSeconds: 3600 });
  const onIpfs = track.audio.stored.find((o) => o.provider === storage.storage.ipfs[0]!.name)!;
  const gateway = await storage.storage.ipfs[0]!.url(onIpfs);
  console.log(`Signed URL (1 hour): ${signed}`);
  console.log(`IPFS gateway URL:    ${gateway}`);

  for (const [name, url] of [
    ["Storj", signed],
    ["IPFS", gateway],
  ] as const) {
    const answer = await fetch(url);
    const hash = createHash("sha256");
    // A player reads the body as it arrives; so does this loop, never holding the whole file.
    for await (const chunk of answer.body!) hash.update(chunk);
    const sha256 = hash.digest("hex");
    console.log(
      `${name}: HTTP ${answer.status}, ${sha256 === track.contentHash ? "same bytes as minted" : `DIFFERENT bytes (${sha256})`}`,
    );
    if (sha256 !== track.contentHash) process.exitCode = 1;
  }
} finally {
  await storage.close();
}
