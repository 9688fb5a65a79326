import { z } from "zod";
import { DcmxError, describeError } from "../errors.js";

/**
 * A scan never throws for one bad file: it reports it. `error` means the file is not a track (it will not
 * be minted), `warning` means the track is kept but something should be fixed, `skipped` means the file
 * was deliberately left out (not audio, a duplicate, a hidden or escaping link).
 */
export const ProblemSchema = z.object({
  severity: z.enum(["error", "warning", "skipped"]),
  code: z.string(),
  /** The file the problem is about, relative to the library when it is inside it. */
  file: z.string(),
  field: z.string().optional(),
  /** Already names the file and field and says how to fix it. */
  message: z.string(),
});
export type Problem = z.infer<typeof ProblemSchema>;
export type Severity = Problem["severity"];

export function problemFrom(error: unknown, severity: Severity, file: string): Problem {
  if (error instanceof DcmxError) {
    return {
      severity,
      code: error.code,
      file: error.file ?? file,
      field: error.field,
      message: error.message,
    };
  }
  // Anything else is a failure we did not anticipate (a parser crash on odd bytes): still one file's problem.
  return { severity, code: "UNREADABLE", file, message: `${file}: ${describeError(error)}` };
}

const SEVERITY_ORDER = { error: 0, warning: 1, skipped: 2 } as const;

/** Problems in a stable order (parallel work finishes in any order). */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}
