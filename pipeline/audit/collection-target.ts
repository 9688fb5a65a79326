import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createPublicClient, http, type PublicClient } from "viem";
import type { Hex } from "../chain/tracks-chain.js";
import { loadDotEnv } from "../config/dotenv.js";
import { loadPipelineConfig, type PipelineConfig } from "../config/pipeline-config.js";
import { InputError } from "../errors.js";
import { RunReportSchema } from "../report/report.js";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

/** The collection a post-mint command works on, and the pipeline settings of its work directory. */
export interface CollectionTarget {
  config: PipelineConfig;
  client: PublicClient;
  contract: Hex;
  rpc: string;
}

/**
 * Resolves `--contract` (else DCMX_CONTRACT, else the contract of the work directory's last run report),
 * `--rpc` (else LOCALHOST_RPC_URL, else a local `hardhat node`), reading `.env` first like the pipeline.
 */
export async function resolveCollection(options: {
  contract?: string;
  rpc?: string;
  workDir?: string;
  env?: Record<string, string | undefined>;
}): Promise<CollectionTarget> {
  const env = options.env ?? loadDotEnv();
  const config = loadPipelineConfig(env, { workDir: options.workDir });
  const contract = options.contract ?? config.contract ?? (await reportedContract(config.reportPath));
  if (contract === undefined || !/^0x[0-9a-fA-F]{40}$/.test(contract)) {
    throw new InputError(
      "USAGE",
      contract === undefined ? "no collection given" : `"${contract}" is not a contract address`,
      {
        field: "--contract",
        hint: "pass --contract 0x… (or set DCMX_CONTRACT); after a run, report.json names it",
      },
    );
  }
  const rpc = options.rpc ?? env.LOCALHOST_RPC_URL ?? DEFAULT_RPC_URL;
  const client = createPublicClient({ transport: http(rpc, { retryCount: 2 }) }) as PublicClient;
  return { config, client, contract: contract as Hex, rpc };
}

async function reportedContract(reportPath: string): Promise<string | undefined> {
  if (!existsSync(reportPath)) return undefined;
  const parsed = RunReportSchema.safeParse(JSON.parse(await readFile(reportPath, "utf8")));
  return parsed.success ? (parsed.data.chain?.contract ?? undefined) : undefined;
}

export const auditReportPath = (config: PipelineConfig) => join(config.workDir, "audit.json");
