import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { redact } from "../util/secrets.js";

/**
 * What one check found. `missing`: the source answered that it does not hold the object; `corrupt`: it
 * served bytes that are not the ones the chain recorded (or a document that describes another track);
 * `unreachable`: it could not be asked; `skipped`: nothing to check because the metadata is unusable.
 */
export const CheckStatusSchema = z.enum(["ok", "missing", "corrupt", "unreachable", "skipped"]);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export const CheckSchema = z.object({
  /** "metadata", or the provider that should hold the audio ("storj", "ipfs", "kubo"…). */
  target: z.string(),
  /** The S3 key or CID that was checked. */
  locator: z.string().nullable(),
  status: CheckStatusSchema,
  detail: z.string().nullable(),
  /**
   * Set by `dcmx verify --repair` on a check it acted on: what the first audit found, where the verified
   * copy came from (null when none was found) and why it failed; `status` is then the re-check's verdict.
   */
  repair: z
    .object({
      was: CheckStatusSchema,
      from: z.string().nullable(),
      error: z.string().optional(),
    })
    .optional(),
});
export type Check = z.infer<typeof CheckSchema>;

export const TokenAuditSchema = z.object({
  tokenId: z.string().regex(/^\d+$/),
  /** The SHA-256 the contract records. */
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
  tokenURI: z.string(),
  name: z.string().nullable(),
  checks: z.array(CheckSchema),
});
export type TokenAudit = z.infer<typeof TokenAuditSchema>;

/** The JSON answer of `dcmx verify`: is what the providers serve what the chain recorded. */
export const AuditReportSchema = z.object({
  version: z.literal(1),
  contract: z.string(),
  chainId: z.number().int().positive(),
  checkedAt: z.string(),
  tokens: z.array(TokenAuditSchema),
  totals: z.record(CheckStatusSchema, z.number().int().nonnegative()),
});
export type AuditReport = z.infer<typeof AuditReportSchema>;

/** Statuses that fail the audit (exit code 1): the content is gone or is not what was minted. */
export const FAILING: ReadonlySet<CheckStatus> = new Set(["missing", "corrupt"]);

export function auditFailed(report: AuditReport): boolean {
  return report.tokens.some((token) => token.checks.some((check) => FAILING.has(check.status)));
}

export function countStatuses(tokens: TokenAudit[]): Record<CheckStatus, number> {
  const totals = Object.fromEntries(CheckStatusSchema.options.map((s) => [s, 0])) as Record<
    CheckStatus,
    number
  >;
  for (const token of tokens) for (const check of token.checks) totals[check.status]++;
  return totals;
}

/** Written atomically and redacted, like the run report. */
export async function writeAuditReport(path: string, report: AuditReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${redact(JSON.stringify(AuditReportSchema.parse(report), null, 2))}\n`);
  await rename(temp, path);
}

/** The table's word on a repair: "repaired from storj (was missing)", or why it could not be. */
function repairNote(check: Check): string | undefined {
  const { repair } = check;
  if (repair === undefined) return undefined;
  if (repair.error !== undefined) return `not repaired (was ${repair.was}): ${repair.error}`;
  return `${check.status === "ok" ? "repaired" : "re-uploaded"} from ${repair.from} (was ${repair.was})`;
}

/** One row per token and target: `token  target  status  locator  detail`. */
export function auditTable(report: AuditReport): string[] {
  const rows = report.tokens.flatMap((token) =>
    token.checks.map((check) => [
      `#${token.tokenId}`,
      check.target,
      check.status,
      check.locator ?? "-",
      [repairNote(check), check.detail].filter(Boolean).join("; "),
    ]),
  );
  const header = ["token", "target", "status", "locator", "detail"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map((row) => redact(line(row)))];
}
