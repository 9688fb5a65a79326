/** One line of `dcmx doctor`: `fail` needs fixing before a run, `warn` may bite, `info` is only said. */
export interface Finding {
  check: string;
  status: "ok" | "info" | "warn" | "fail";
  message: string;
  /** What to do about it. */
  fix?: string;
}

const MARK: Record<Finding["status"], string> = { ok: "✓", info: "·", warn: "!", fail: "✗" };

export function findingLine(finding: Finding): string {
  return `  ${MARK[finding.status]} ${finding.check}: ${finding.message}${finding.fix ? `\n      fix: ${finding.fix}` : ""}`;
}
