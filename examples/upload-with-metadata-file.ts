/**
 * Example 3 of the original design: a library whose tags are corrected by a metadata.json, keyed by each
 * track's file name without extension (examples/library/metadata.json renames "03 Night Bus" and gives
 * "04 Field Recording" its album and description). Prints where each track's metadata now lives.
 *
 *   npx tsx examples/upload-with-metadata-file.ts [music-dir] [metadata.json]
 */
import { join } from "node:path";
import { uploadMusicLibrary } from "../pipeline/index.js";

const musicDir = process.argv[2] ?? join(import.meta.dirname, "library");
const report = await uploadMusicLibrary({
  musicDir,
  metadataFile: process.argv[3] ?? join(musicDir, "metadata.json"),
});
for (const track of report.tracks) {
  console.log(`${track.file}: ${track.status}, metadata ipfs://${track.metadataCid}`);
}
process.exitCode = report.totals.failed > 0 ? 1 : 0;
