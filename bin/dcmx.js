#!/usr/bin/env node
// The CLI is TypeScript, loaded through tsx (which Hardhat already uses) so there is no build step.
import { register } from "tsx/esm/api";

register();
// The heap cap first (it may restart this process), then the commands: a restart loads them once.
const { capHeap } = await import("../pipeline/config/heap-cap.ts");
const { loadDotEnv } = await import("../pipeline/config/dotenv.ts");
const { describeError } = await import("../pipeline/errors.ts");
try {
  capHeap(loadDotEnv());
} catch (error) {
  console.error(`dcmx: ${describeError(error)}`);
  process.exit(1);
}
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
