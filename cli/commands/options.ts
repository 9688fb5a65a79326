import { InputError } from "../../pipeline/errors.js";

/** A whole-number option from 1 to `max`, or `fallback` when it is not given. */
export function positiveInt(value: string | undefined, option: string, fallback: number, max = 64): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) {
    throw new InputError("USAGE", `expected a whole number from 1 to ${max}, got "${value}"`, {
      field: option,
    });
  }
  return n;
}
