import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { loadDotEnv } from "../pipeline/config/dotenv.js";
import { capHeap } from "../pipeline/config/heap-cap.js";

export interface MintLibraryTaskArguments {
  library: string;
  artworkDir: string;
  metadata: string;
  workdir: string;
  report: string;
  contract: string;
  admin: string;
  allowHotAdmin: boolean;
  require: string;
  batchSize: string;
  concurrency: string;
  workers: string;
  dryRun: boolean;
}

/**
 * `npx hardhat mint-library [--network …] [options]`: the same pipeline as scripts/mint-library.ts, with
 * flags in place of environment variables (a flag wins over its variable; both are validated alike).
 */
export default async function mintLibraryTask(
  args: MintLibraryTaskArguments,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  const flags: Record<string, string> = {
    DCMX_LIBRARY: args.library,
    DCMX_ARTWORK_DIR: args.artworkDir,
    DCMX_METADATA: args.metadata,
    DCMX_WORKDIR: args.workdir,
    DCMX_REPORT: args.report,
    DCMX_CONTRACT: args.contract,
    DCMX_ADMIN: args.admin,
    DCMX_ALLOW_HOT_ADMIN: args.allowHotAdmin ? "true" : "",
    DCMX_REQUIRE: args.require,
    DCMX_MINT_BATCH: args.batchSize,
    MAX_CONCURRENT_UPLOADS: args.concurrency,
    DCMX_WORKERS: args.workers,
  };
  const env = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== ""));
  // As in scripts/mint-library.ts: the heap cap (which may restart the process) before the pipeline loads. Not
  // for the dry run, whose plan holds the whole library's scan (~3 KB a track).
  if (!args.dryRun) capHeap(loadDotEnv());
  const { mintLibrary } = await import("../pipeline/hardhat/mint-library.js");
  process.exitCode = await mintLibrary(await hre.network.create(), {
    env,
    dryRun: args.dryRun,
    simulation: () => hre.network.create("default"),
  });
}
