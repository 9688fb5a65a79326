#!/usr/bin/env node
// The CLI is TypeScript, loaded through tsx (which Hardhat already uses) so there is no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
