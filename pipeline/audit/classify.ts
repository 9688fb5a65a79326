import { describeError, IntegrityError } from "../errors.js";
import type { Check } from "./audit-report.js";

/**
 * Runs one check and turns its failure into a status: an `IntegrityError` means the bytes are not the
 * recorded ones (corrupt); anything else means the source could not be asked (unreachable). "Missing" is
 * only ever a source's own answer, returned by `run`, never guessed from an error.
 */
export async function classify(
  target: string,
  locator: string | null,
  run: () => Promise<Pick<Check, "status" | "detail">>,
): Promise<Check> {
  try {
    return { target, locator, ...(await run()) };
  } catch (error) {
    const status = error instanceof IntegrityError ? "corrupt" : "unreachable";
    return { target, locator, status, detail: describeError(error) };
  }
}
