import { addressFile, DEFAULT_CID_PROFILE, parseCidProfile } from "../../pipeline/content/index.js";
import { DcmxError, describeError, InputError } from "../../pipeline/errors.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx cid <file...> [--profile unixfs-v1-2025|kubo-v0]

Prints one JSON line per file: {"file","size","sha256","cid","profile"}.
The profile (default ${DEFAULT_CID_PROFILE}) decides chunking, so it decides the CID.`;

export const cidCommand: Command = {
  name: "cid",
  summary: "SHA-256 and IPFS CID of files, in one pass each",
  usage,
  async run(args) {
    const { files, profile } = parseCidArgs(args);
    let status = 0;
    // A file that cannot be read is reported and skipped, so one bad path does not hide the others.
    for (const file of files) {
      try {
        const address = await addressFile(file, { profile });
        console.log(JSON.stringify({ file, ...address }));
      } catch (error) {
        if (!(error instanceof DcmxError)) throw error;
        console.error(`dcmx cid: ${describeError(error)}`);
        status = 1;
      }
    }
    return status;
  },
};

function parseCidArgs(args: string[]) {
  const parsed = parseCommandArgs("cid", args, { profile: { type: "string" } });
  if (parsed.positionals.length === 0) {
    throw new InputError("USAGE", "no file given", { hint: "see dcmx cid --help" });
  }
  const profile = parseCidProfile(parsed.values.profile ?? DEFAULT_CID_PROFILE, { field: "--profile" });
  return { files: parsed.positionals, profile };
}
