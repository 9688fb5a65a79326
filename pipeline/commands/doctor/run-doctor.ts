import { networkExposure } from "../../chain/network-exposure.js";
import type { Hex } from "../../chain/tracks-chain.js";
import { loadPipelineConfig, type PipelineConfig } from "../../config/pipeline-config.js";
import { describeError } from "../../errors.js";
import { redact } from "../../util/secrets.js";
import { checkBalance, checkNode, checkRpc } from "./chain-checks.js";
import { checkDisk } from "./disk-checks.js";
import { checkEnvFile } from "./env-file.js";
import type { Finding } from "./finding.js";
import { checkIpfs, checkPublicReach, checkStorj } from "./provider-checks.js";
import { checkWorkers } from "./worker-checks.js";

export interface DoctorOptions {
  env: Record<string, string | undefined>;
  envFile?: string;
  exampleFile?: string;
  rpc?: string;
  /** The deployer's address, for the balance check (needs `rpc`). */
  account?: Hex;
}

/**
 * `dcmx doctor`: every check runs even when an earlier one failed, so one pass lists everything to fix.
 * Findings are redacted: a secret from the configuration never reaches the screen.
 */
export async function runDoctor(options: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [checkNode()];
  findings.push(
    ...(await checkEnvFile(options.envFile ?? ".env", options.exampleFile ?? ".env.storage.example")),
  );
  let config: PipelineConfig | undefined;
  try {
    config = loadPipelineConfig(options.env);
    findings.push({ check: "pipeline settings", status: "ok", message: `library ${config.library}` });
  } catch (error) {
    findings.push({ check: "pipeline settings", status: "fail", message: describeError(error) });
  }
  if (config !== undefined) findings.push(await checkDisk(options.env, config));
  findings.push(await checkStorj(options.env));
  findings.push(...(await checkIpfs(options.env)));
  const rpc = await checkRpc(options.rpc);
  findings.push(rpc.finding);
  // Without --rpc the run mints on the in-process chain; an RPC that does not answer counts as public.
  const network =
    options.rpc === undefined
      ? { name: "the in-process chain", exposure: "local" as const }
      : {
          name: `chain ${rpc.chainId ?? "?"} at ${new URL(options.rpc).origin}`,
          exposure: networkExposure({
            inProcess: false,
            chainId: rpc.chainId ?? Number.NaN,
            rpcUrl: options.rpc,
          }),
        };
  findings.push(checkPublicReach(options.env, network, config?.allowLocalOnly ?? false));
  // Workers mint on `--network` (localhost by default): without --rpc its chain is not known here.
  if (config !== undefined)
    findings.push(
      ...(await checkWorkers(options.env, config, options.rpc === undefined ? undefined : false)),
    );
  if (options.account !== undefined && rpc.chainId !== undefined && config !== undefined) {
    findings.push(
      await checkBalance({ rpc: options.rpc!, account: options.account, config }).catch(
        (error: unknown): Finding => ({
          check: "deployer balance",
          status: "fail",
          message: describeError(error),
        }),
      ),
    );
  }
  return findings.map((f) => ({ ...f, message: redact(f.message), fix: f.fix && redact(f.fix) }));
}
