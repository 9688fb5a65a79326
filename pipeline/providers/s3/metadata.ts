/**
 * S3 user metadata travels as HTTP headers, which carry ASCII only. Values that are not printable ASCII
 * (a title like "Café") are stored RFC 2047 encoded, as S3 itself returns them, and decoded on read.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ENCODED = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/;

export function encodeMetaValue(value: string): string {
  if (PRINTABLE_ASCII.test(value) && !ENCODED.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

export function decodeMetaValue(value: string): string {
  const match = ENCODED.exec(value);
  return match ? Buffer.from(match[1]!, "base64").toString("utf8") : value;
}

/**
 * Storj's gateway refuses an object whose user metadata exceeds 2 KiB (storj/docs s3-compatibility), as
 * AWS does. Counted conservatively: every header in full (`x-amz-meta-` + key + encoded value).
 */
export const USER_METADATA_LIMIT_BYTES = 2048;
const HEADER_PREFIX = "x-amz-meta-";
/** Names the descriptive fields that were shortened or left out, so a reader knows they are incomplete. */
export const TRUNCATED_KEY = "truncated";
/** Appended to a shortened value. */
const ELLIPSIS = "…";

const headerSize = (name: string, value: string) => HEADER_PREFIX.length + name.length + value.length;
export const metadataSize = (meta: Record<string, string>): number =>
  Object.entries(meta).reduce((sum, [name, value]) => sum + headerSize(name, value), 0);

const headerName = (key: string) => key.toLowerCase().replace(/[^a-z0-9-]/g, "-");

/**
 * Header-safe metadata under the 2 KiB limit: keys lower-cased to [a-z0-9-] (S3 lower-cases them anyway),
 * values encoded. `required` (hashes, kind) is always kept whole. When the `descriptive` tags do not all fit
 * whole, the room left is shared among them: a tag longer than its share is shortened at a character
 * (grapheme) boundary and marked with "…", or left out when not even one character fits, and the names
 * of those are listed under `truncated`.
 */
export function encodeMetadata(
  required: Record<string, string>,
  descriptive: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(required)) {
    const name = headerName(key);
    if (name !== "") out[name] = encodeMetaValue(value);
  }
  const entries = Object.entries(descriptive)
    .map(([key, value]) => [headerName(key), value] as const)
    .filter(([name]) => name !== "" && name !== TRUNCATED_KEY && !(name in out));
  const whole = Object.fromEntries(entries.map(([name, value]) => [name, encodeMetaValue(value)]));
  if (metadataSize(out) + metadataSize(whole) <= USER_METADATA_LIMIT_BYTES) return { ...out, ...whole };
  // Something is cut: room is kept for the `truncated` header as if it named every descriptive field.
  let room =
    USER_METADATA_LIMIT_BYTES -
    metadataSize(out) -
    headerSize(TRUNCATED_KEY, entries.map(([name]) => name).join(","));
  const cut: string[] = [];
  // Shortest first, each taking at most an equal share of what is left, so short tags (artist) stay whole
  // and only the long ones are shortened; ties keep the caller's order.
  const bySize = [...entries].sort(([a], [b]) => whole[a]!.length - whole[b]!.length);
  for (const [i, [name, value]] of bySize.entries()) {
    const share = Math.floor(room / (bySize.length - i));
    const fits = (encoded: string) => headerSize(name, encoded) <= share;
    let encoded: string | undefined = whole[name]!;
    if (!fits(encoded)) {
      cut.push(name);
      const shortened = longestPrefix(value, (candidate) => fits(encodeMetaValue(candidate)));
      encoded = shortened === undefined ? undefined : encodeMetaValue(shortened);
    }
    if (encoded === undefined) continue;
    out[name] = encoded;
    room -= headerSize(name, encoded);
  }
  out[TRUNCATED_KEY] = cut.join(",");
  return out;
}

/** The longest "<first characters>…" of `value` that `fits`, cut between graphemes; undefined if none does. */
function longestPrefix(value: string, fits: (candidate: string) => boolean): string | undefined {
  const graphemes = [...new Intl.Segmenter().segment(value)].map((s) => s.segment);
  const candidate = (n: number) => graphemes.slice(0, n).join("") + ELLIPSIS;
  let low = 0;
  let high = graphemes.length - 1;
  // Encoded size grows with the prefix, so the longest fitting one is found by bisection.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(candidate(mid))) low = mid;
    else high = mid - 1;
  }
  return low > 0 && fits(candidate(low)) ? candidate(low) : undefined;
}

export function decodeMetadata(meta: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta ?? {})) out[key] = decodeMetaValue(value);
  return out;
}
