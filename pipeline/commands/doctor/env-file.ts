import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import type { Finding } from "./finding.js";

/** Every variable `.env.storage.example` documents, set or commented out (`# NAME=value`). */
export async function documentedVariables(examplePath: string): Promise<Set<string>> {
  const text = await readFile(examplePath, "utf8");
  return new Set([...text.matchAll(/^[ \t]*#?[ \t]*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}

/**
 * Compares `.env` with the documented variables: a name the example does not know is almost always a
 * typo that silently falls back to a default, so it is named with the closest documented one.
 */
export async function checkEnvFile(envPath: string, examplePath: string): Promise<Finding[]> {
  if (!existsSync(envPath)) {
    return [
      {
        check: ".env",
        status: "info",
        message: `no ${envPath}: variables come from the environment only (none set means the embedded defaults)`,
        fix: `cp .env.storage.example ${envPath} and fill in the providers you use`,
      },
    ];
  }
  const known = await documentedVariables(examplePath);
  let values: Record<string, string>;
  try {
    values = parseEnv(await readFile(envPath, "utf8")) as Record<string, string>;
  } catch (error) {
    return [{ check: ".env", status: "fail", message: `cannot be read: ${(error as Error).message}` }];
  }
  const unknown = Object.keys(values).filter((name) => !known.has(name) && !name.startsWith("LOCALHOST_"));
  const findings: Finding[] = unknown.map((name) => ({
    check: ".env",
    status: "warn",
    message: `${name} is not a variable DCMX Mint reads`,
    fix: `rename it to ${closest(name, known)} if that is what you meant (see .env.storage.example)`,
  }));
  if (findings.length === 0)
    findings.push({
      check: ".env",
      status: "ok",
      message: `${Object.keys(values).length} variables, all documented`,
    });
  return findings;
}

function closest(name: string, known: Set<string>): string {
  let best = "";
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
