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

/** Header-safe metadata: keys lower-cased to [a-z0-9-] (S3 lower-cases them anyway), values encoded. */
export function encodeMetadata(meta: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) {
    const name = key.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    if (name !== "") out[name] = encodeMetaValue(value);
  }
  return out;
}

export function decodeMetadata(meta: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta ?? {})) out[key] = decodeMetaValue(value);
  return out;
}
