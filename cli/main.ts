import { DcmxError, describeError } from "../pipeline/errors.js";
import type { Command } from "./command.js";
import { cidCommand } from "./commands/cid.js";
import { doctorCommand } from "./commands/doctor.js";
import { exportCommand } from "./commands/export.js";
import { listCommand } from "./commands/list.js";
import { marketplaceCommand } from "./commands/marketplace.js";
import { migrateCommand } from "./commands/migrate.js";
import { pageCommand } from "./commands/page.js";
import { rolesCommand } from "./commands/roles.js";
import { scanCommand } from "./commands/scan.js";
import { serveCommand } from "./commands/serve.js";
import { statsCommand } from "./commands/stats.js";
import { uploadCommand } from "./commands/upload.js";
import { urlCommand } from "./commands/url.js";
import { verifyCommand } from "./commands/verify.js";
import { workerCommand } from "./commands/worker.js";

// Each command lives in cli/commands/<name>.ts; this list is the only place that names them all.
const commands: Command[] = [
  cidCommand,
  scanCommand,
  uploadCommand,
  verifyCommand,
  migrateCommand,
  doctorCommand,
  urlCommand,
  serveCommand,
  statsCommand,
  exportCommand,
  listCommand,
  pageCommand,
  marketplaceCommand,
  rolesCommand,
  workerCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: dcmx <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "dcmx <command> --help shows a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    console.error(`dcmx: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    // Our own errors are written for the user; anything else is a bug and keeps its stack.
    console.error(
      `dcmx ${name}: ${error instanceof DcmxError ? describeError(error) : ((error as Error)?.stack ?? describeError(error))}`,
    );
    return 1;
  }
}
