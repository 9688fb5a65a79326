import { existsSync } from "node:fs";

/**
 * Loads `.env` from the working directory under the process environment (variables already set win) and
 * returns the environment. Every entry point (Hardhat script and task, `dcmx` commands) calls this one.
 */
export function loadDotEnv(path = ".env"): Record<string, string | undefined> {
  if (existsSync(path)) process.loadEnvFile(path);
  return process.env;
}
