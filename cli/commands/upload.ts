import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { capHeap } from "../../pipeline/config/heap-cap.js";
import { DEFAULT_WORKDIR } from "../../pipeline/config/pipeline-config.js";
import { InputError } from "../../pipeline/errors.js";
import { uploadMusicLibrary } from "../../pipeline/upload-music-library.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx upload <dir> [--artwork-dir D] [--metadata F] [--workdir W] [--concurrency N]

Stores a music library without minting: audio on Storj (or the embedded local S3) with the IPFS backup,
artwork and ERC-721 metadata on IPFS, every CID verified. Resumable like the minting pipeline (same
ledger), configured by the same environment (.env.storage.example). Exits 1 if a track failed, 75 if
tracks wait for a provider.

Options:
  --artwork-dir D   folder of artwork named like the tracks
  --metadata F      metadata.json with per-track overrides (default: <dir>/metadata.json)
  --workdir W       ledger and local data (default ${DEFAULT_WORKDIR})
  --concurrency N   uploads at once (default 5)`;

export const uploadCommand: Command = {
  name: "upload",
  summary: "store a music library on Storj + IPFS and verify it, without minting",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs("upload", args, {
      "artwork-dir": { type: "string" },
      metadata: { type: "string" },
      workdir: { type: "string" },
      concurrency: { type: "string" },
    });
    if (positionals.length !== 1) {
      throw new InputError("USAGE", "expected exactly one library folder", {
        field: "<dir>",
        hint: "e.g. dcmx upload examples/library",
      });
    }
    const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
    if (
      concurrency !== undefined &&
      !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)
    ) {
      throw new InputError("USAGE", `expected a whole number from 1 to 64, got "${values.concurrency}"`, {
        field: "--concurrency",
      });
    }
    // The pipeline's memory is bounded by its concurrency, so it runs under the heap cap (a restart, before any
    // work); commands that hold a whole library's scan or report (scan, doctor, export, ...) are not capped.
    capHeap(loadDotEnv());
    const report = await uploadMusicLibrary({
      musicDir: positionals[0]!,
      artworkDir: values["artwork-dir"],
      metadataFile: values.metadata,
      workDir: values.workdir,
      maxConcurrent: concurrency,
    });
    if (report.totals.failed > 0) return 1;
    return report.totals.pending > 0 ? 75 : 0;
  },
};
