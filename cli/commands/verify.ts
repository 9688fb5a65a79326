import { runAudit } from "../../pipeline/commands/verify/run-audit.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions, positiveInt } from "./options.js";

const usage = `Usage: dcmx verify [--contract 0x…] [--rpc URL] [--workdir W] [--json F] [--gateway URL] [--concurrency N]

Audits a minted collection end to end: for every token, reads the content hash and tokenURI from the
chain, fetches the metadata by CID and checks it with multiformats, then streams the audio back from
every provider that should hold it (Storj by its content-addressed key, IPFS by CID) and compares its
SHA-256 with the on-chain hash. Prints one row per token and provider (ok / missing / corrupt /
unreachable / skipped), writes a JSON report, and exits 1 if anything is missing or corrupt.
Providers come from the environment and .env, like the pipeline (embedded defaults in the work directory).
With --repair, whatever is missing or corrupt is re-uploaded from a verified copy (the local file while it
hashes to the record, else another provider whose copy passes) and checked again; the table and the
report say what was repaired, and the exit code is 0 only if everything is ok afterwards.

Options:
${COLLECTION_OPTIONS_HELP}
  --json F          JSON report path (default <workdir>/audit.json)
  --gateway URL     a trustless IPFS gateway also asked for metadata
  --concurrency N   tokens checked at once (default 4)
  --repair          re-upload what a provider lost or corrupted, then re-check it`;

export const verifyCommand: Command = {
  name: "verify",
  summary: "audit a minted collection: chain hash vs. metadata and audio on every provider",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("verify", args, {
      ...collectionOptions,
      json: { type: "string" },
      gateway: { type: "string" },
      concurrency: { type: "string" },
      repair: { type: "boolean" },
    });
    const target = await collectionFrom(values);
    return runAudit({
      ...target,
      reportPath: values.json,
      gateway: values.gateway,
      concurrency: positiveInt(values.concurrency, "--concurrency", 4),
      repair: values.repair,
    });
  },
};
