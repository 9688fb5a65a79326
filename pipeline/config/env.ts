import type { z } from "zod";
import { ConfigError } from "../errors.js";

/**
 * Validates environment variables against a zod schema whose keys are the variable names, so every
 * message names the variable that is wrong. `source` says where they came from (".env", "environment").
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  source = "environment",
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = issue.path.join(".") || "(root)";
  throw new ConfigError("CONFIG", issue.message, {
    file: source,
    field: variable,
    hint: "see .env.storage.example for every variable and its format",
  });
}
