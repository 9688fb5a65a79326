import { buildContracts, runWorkerProcess } from "../../pipeline/workers/worker-process.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx worker [--network NAME]

Runs one worker of a catalog shared by several machines: the main job (scripts/mint-library.ts) as one of
many processes on one PostgreSQL ledger. Each library file is claimed before it is read, so workers never
work on the same track at once; a worker that dies leaves its claims to expire, and another takes them.
Whichever worker holds the signer's lease mints what any of them made ready, exactly once.

Every worker needs the same DCMX_DATABASE_URL, the same S3 bucket (STORJ_* variables), a remote IPFS
backend (KUBO_RPC_URL, Filebase, Pinata…), the library at the same path (a shared mount) and a shared
chain. A worker refuses to start without them. Setup: docs/LABELS.md.
Exits like mint-library: 0 done, 1 a track failed, 75 tracks wait for a provider, 130 interrupted.

Options:
  --network NAME   the Hardhat network to mint on (default localhost)`;

export const workerCommand: Command = {
  name: "worker",
  summary: "run one worker of a catalog shared through a PostgreSQL ledger",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("worker", args, { network: { type: "string" } });
    const built = await buildContracts();
    if (built !== 0) return built;
    return runWorkerProcess(values.network ?? "localhost", {});
  },
};
