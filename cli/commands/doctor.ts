import { existsSync } from "node:fs";
import { findingLine } from "../../pipeline/commands/doctor/finding.js";
import { runDoctor } from "../../pipeline/commands/doctor/run-doctor.js";
import { InputError } from "../../pipeline/errors.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx doctor [--env-file F] [--rpc URL] [--account 0x…]

Checks the setup before a run and prints what to fix, never a secret: the Node.js version, the .env file
against .env.storage.example (unknown names are usually typos), every configured provider's credentials
with a harmless read-only request, the RPC endpoint and its chain id, the deployer's balance against
the estimated gas of minting the library, and what workers sharing the catalog need (failed only when
DCMX_WORKER or DCMX_WORKERS is set). Exits 1 if any check fails.

Options:
  --env-file F    the file to check and load (default .env)
  --rpc URL       JSON-RPC endpoint of the chain you will mint on (default LOCALHOST_RPC_URL)
  --account 0x…   the deployer's address, for the balance check (needs --rpc)`;

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check Node, .env, provider credentials, RPC and the deployer's balance; say what to fix",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("doctor", args, {
      "env-file": { type: "string" },
      rpc: { type: "string" },
      account: { type: "string" },
    });
    const account = values.account;
    if (account !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(account)) {
      throw new InputError("USAGE", `"${account}" is not an account address`, { field: "--account" });
    }
    const envFile = values["env-file"] ?? ".env";
    if (existsSync(envFile)) process.loadEnvFile(envFile);
    const findings = await runDoctor({
      env: process.env,
      envFile,
      rpc: values.rpc ?? process.env.LOCALHOST_RPC_URL,
      account: account as `0x${string}` | undefined,
    });
    for (const finding of findings) console.log(findingLine(finding));
    const failed = findings.filter((f) => f.status === "fail").length;
    console.log(failed === 0 ? "\nReady." : `\n${failed} problem${failed === 1 ? "" : "s"} to fix.`);
    return failed === 0 ? 0 : 1;
  },
};
