/**
 * Example 2 of the original design: a whole library, five uploads at a time, with the original's
 * progress lines and summary. Resumable: run it twice and the second run uploads nothing.
 *
 *   npx tsx examples/upload-library.ts [music-dir] [artwork-dir]
 */
import { join } from "node:path";
import { uploadMusicLibrary } from "../pipeline/index.js";

const report = await uploadMusicLibrary({
  musicDir: process.argv[2] ?? join(import.meta.dirname, "library"),
  artworkDir: process.argv[3],
  maxConcurrent: 5,
});
const { totals } = report;
console.log(`Uploaded: ${totals.successful}/${totals.tracks} tracks`);
console.log(`Total size: ${(totals.bytes / 1e6).toFixed(2)} MB`);
process.exitCode = totals.failed > 0 ? 1 : 0;
