import { z } from "zod";

/** An environment flag: true/false, yes/no, 1/0 (any case); unset means `fallback`. */
export const envBoolean = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const normalized = value.trim().toLowerCase();
      if (["true", "yes", "1", "on"].includes(normalized)) return true;
      if (["false", "no", "0", "off"].includes(normalized)) return false;
      ctx.addIssue({ code: "custom", message: `expected true or false, got "${value}"` });
      return z.NEVER;
    });

/** A whole number in [min, max]; unset means `fallback`. */
export const envInt = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({
          code: "custom",
          message: `expected a whole number from ${min} to ${max}, got "${value}"`,
        });
        return z.NEVER;
      }
      return parsed;
    });

/** An optional non-empty string: empty values (`STORJ_BUCKET=` in a copied example) count as unset. */
export const envString = () =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/** An optional decimal number (a price, a budget) from `min` up; unset means undefined. */
export const envDecimal = (min: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return undefined;
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed < min) {
        ctx.addIssue({ code: "custom", message: `expected a number of at least ${min}, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });

/** An optional http(s) URL (an API, a gateway); `what` says what it should point at. */
export const envHttpUrl = (what: string) =>
  envString().pipe(z.url({ protocol: /^https?$/, error: `expected an http(s) URL of ${what}` }).optional());

/** One of `values` (any case); unset means `fallback`. */
export const envChoice = <const T extends string>(values: readonly T[], fallback: T) =>
  z
    .string()
    .optional()
    .transform((value, ctx): T => {
      if (value === undefined || value.trim() === "") return fallback;
      const normalized = value.trim().toLowerCase();
      const match = values.find((v) => v === normalized);
      if (match !== undefined) return match;
      ctx.addIssue({ code: "custom", message: `expected one of ${values.join(", ")}, got "${value}"` });
      return z.NEVER;
    });
