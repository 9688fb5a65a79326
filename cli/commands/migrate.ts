import { runMigrate } from "../../pipeline/commands/migrate/migrate.js";
import { DEFAULT_WORKDIR } from "../../pipeline/config/pipeline-config.js";
import { InputError } from "../../pipeline/errors.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx migrate --to <provider> [--from <provider>] [--workdir W]

Copies every object the work directory's ledger records (each track's audio, artwork and metadata) to
another configured provider, e.g. off a service that is closing. Each object comes from its local copy
while that still hashes to what was recorded (the library file under DCMX_LIBRARY, the artwork image,
the metadata document), else from --from or any provider the ledger says holds it, downloaded and
verified first. The destination checks the CID and reads the content back before the object counts;
each object is recorded there at once, so a run stopped at any point resumes without sending anything
twice. Tokens need no change: ipfs:// URIs name content, not a place. Exits 1 if an object failed,
75 if objects wait for a provider that did not answer (run again).

Options:
  --to P        the provider to copy to, by name (local-s3 or storj, ipfs, nft-storage, kubo…)
  --from P      the provider to read from first when a local copy is gone or changed
  --workdir W   ledger and local data (default ${DEFAULT_WORKDIR})

Concurrency: MAX_CONCURRENT_UPLOADS objects at once. Guide: docs/storage/migrate.md`;

export const migrateCommand: Command = {
  name: "migrate",
  summary: "copy every stored object to another provider, verified and resumable",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("migrate", args, {
      to: { type: "string" },
      from: { type: "string" },
      workdir: { type: "string" },
    });
    if (values.to === undefined) {
      throw new InputError("USAGE", "no destination given", {
        field: "--to",
        hint: "e.g. dcmx migrate --to nft-storage (see dcmx migrate --help)",
      });
    }
    return runMigrate({ to: values.to, from: values.from, workDir: values.workdir });
  },
};
