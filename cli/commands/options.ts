import { DEFAULT_RPC_URL, resolveCollection } from "../../pipeline/audit/collection-target.js";
import { DEFAULT_WORKDIR } from "../../pipeline/config/pipeline-config.js";
import { InputError } from "../../pipeline/errors.js";

/** A whole-number option from 1 to `max`, or `fallback` when it is not given. */
export function positiveInt(value: string | undefined, option: string, fallback: number, max = 64): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) {
    throw new InputError("USAGE", `expected a whole number from 1 to ${max}, got "${value}"`, {
      field: option,
    });
  }
  return n;
}

/** The options of every command that works on a minted collection, and their help lines. */
export const collectionOptions = {
  contract: { type: "string" },
  rpc: { type: "string" },
  workdir: { type: "string" },
} as const;

export const COLLECTION_OPTIONS_HELP = `  --contract 0x…    the collection (default DCMX_CONTRACT, else the work directory's report.json)
  --rpc URL         JSON-RPC endpoint (default LOCALHOST_RPC_URL, else ${DEFAULT_RPC_URL})
  --workdir W       ledger and local data (default ${DEFAULT_WORKDIR})`;

export function collectionFrom(values: { contract?: string; rpc?: string; workdir?: string }) {
  return resolveCollection({ contract: values.contract, rpc: values.rpc, workDir: values.workdir });
}
