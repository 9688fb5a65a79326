import { storageUsage, usageLines } from "../../pipeline/audit/storage-usage.js";
import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { DEFAULT_WORKDIR, loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { StorageSet } from "../../pipeline/storage/storage-set.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx stats [--workdir W] [--json]

Usage per provider (objects, bytes) against the free tiers of the original design (Storj DCS 150 GB
stored and 150 GB/month egress; Web3.Storage 10 GB; NFT.Storage unlimited metadata), and how many more
tracks of the library's average size (from the work directory's report.json) still fit.

Options:
  --workdir W   journal and local data (default ${DEFAULT_WORKDIR})
  --json        print the numbers as JSON`;

export const statsCommand: Command = {
  name: "stats",
  summary: "storage used per provider against the free tiers, and how many more tracks fit",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("stats", args, {
      workdir: { type: "string" },
      json: { type: "boolean" },
    });
    const config = loadPipelineConfig(loadDotEnv(), { workDir: values.workdir });
    const storage = await StorageSet.open({ workDir: config.workDir });
    try {
      const usage = await storageUsage(storage, config.reportPath);
      console.log(
        values.json ? JSON.stringify(usage, null, 2) : ["Storage:", ...usageLines(usage)].join("\n"),
      );
      return 0;
    } finally {
      await storage.close();
    }
  },
};
