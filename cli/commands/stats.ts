import { storageUsage, usageLines } from "../../pipeline/commands/stats/storage-usage.js";
import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { DEFAULT_WORKDIR, loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { loadCostConfig } from "../../pipeline/cost/prices.js";
import { StorageSet } from "../../pipeline/storage/storage-set.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx stats [--workdir W] [--json]

Usage per provider (objects, bytes) and its monthly storage cost at the prices the services publish
(Storj DCS: $7/TB-month, 50 kB minimum per object, usage rounded up to whole GB, $5 monthly minimum;
see docs/storage/storj.md), against DCMX_MONTHLY_BUDGET_USD when it is set. Services that publish no
price get none. Prices are overridden with DCMX_PRICE_* variables (.env.storage.example).

Options:
  --workdir W   ledger and local data (default ${DEFAULT_WORKDIR})
  --json        print the numbers as JSON`;

export const statsCommand: Command = {
  name: "stats",
  summary: "storage used per provider and its monthly cost, against the budget",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("stats", args, {
      workdir: { type: "string" },
      json: { type: "boolean" },
    });
    const env = loadDotEnv();
    const config = loadPipelineConfig(env, { workDir: values.workdir });
    const costs = loadCostConfig(env);
    const storage = await StorageSet.open({ workDir: config.workDir });
    try {
      const usage = await storageUsage(storage, config.reportPath, costs);
      console.log(
        values.json ? JSON.stringify(usage, null, 2) : ["Storage:", ...usageLines(usage)].join("\n"),
      );
      return 0;
    } finally {
      await storage.close();
    }
  },
};
