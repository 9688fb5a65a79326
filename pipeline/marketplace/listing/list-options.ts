import { parseEther } from "viem";
import { InputError } from "../../errors.js";

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3_600, d: 86_400, w: 604_800 };
/** Our own bound, not a marketplace's: it catches a slip such as 300d for 30d. */
const MAX_EXPIRY_SECONDS = 365 * 86_400;

/** `--expires`: a whole number and a unit, `90m`, `12h`, `30d` or `2w`; at most 365 days. */
export function parseExpiry(value: string): number {
  const match = /^(\d+)([mhdw])$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_EXPIRY_SECONDS)) {
    throw new InputError(
      "USAGE",
      `expected a duration such as 12h, 30d or 2w (at most 365d), got "${value}"`,
      {
        field: "--expires",
      },
    );
  }
  return seconds;
}

/** `--price` in ether (the chain's native currency) as wei; more than zero. */
export function parsePrice(value: string): bigint {
  const wei = /^\d+(\.\d{1,18})?$/.test(value.trim()) ? parseEther(value.trim()) : 0n;
  if (wei <= 0n) {
    throw new InputError("USAGE", `expected a price in ether such as 0.05, got "${value}"`, {
      field: "--price",
    });
  }
  return wei;
}

/** `--tokens`: ids and inclusive ranges, `1,4,7-9`; each id once, in the order given. */
export function parseTokenList(value: string): bigint[] {
  const ids: bigint[] = [];
  for (const part of value.split(",").map((p) => p.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    const [from, to] = match ? [BigInt(match[1]!), BigInt(match[2] ?? match[1]!)] : [0n, -1n];
    if (from < 1n || to < from || to - from >= 10_000n) {
      throw new InputError("USAGE", `"${part}" is not a token id or a range such as 4-9`, {
        field: "--tokens",
        hint: "token ids start at 1; e.g. --tokens 1,4,7-9",
      });
    }
    for (let id = from; id <= to; id++) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}
