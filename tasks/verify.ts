import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { PublicClient } from "viem";
import { resolveCollection } from "../pipeline/audit/collection-target.js";
import { runAudit } from "../pipeline/commands/verify/run-audit.js";

export interface VerifyCollectionTaskArguments {
  contract: string;
  workdir: string;
  json: string;
  gateway: string;
}

/**
 * `npx hardhat verify-collection [--network …] [--contract 0x…]`: `dcmx verify` on the chain of Hardhat's
 * `--network` instead of an RPC URL.
 */
export default async function verifyCollectionTask(
  args: VerifyCollectionTaskArguments,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  const connection = await hre.network.create();
  const target = await resolveCollection({
    contract: args.contract || undefined,
    workDir: args.workdir || undefined,
  });
  process.exitCode = await runAudit({
    ...target,
    client: (await connection.viem.getPublicClient()) as unknown as PublicClient,
    reportPath: args.json || undefined,
    gateway: args.gateway || undefined,
  });
}
