/**
 * Canonical JSON (RFC 8785 style): object keys sorted by UTF-16 code units, no whitespace, numbers and
 * strings as `JSON.stringify` writes them. The same value therefore always gives the same bytes, and the
 * same bytes the same metadata CID, whatever order the fields were assigned in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, "$"));
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function sortKeys(value: unknown, path: string): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    // JSON.stringify would silently write null, changing the document's meaning.
    throw new TypeError(`${path}: ${value} has no JSON form`);
  }
  if (Array.isArray(value)) return value.map((item, i) => sortKeys(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return value;
  // No prototype: a "__proto__" key (from hostile input) stays an ordinary key instead of hitting the setter.
  const sorted: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortKeys(item, `${path}.${key}`);
  }
  return sorted;
}
