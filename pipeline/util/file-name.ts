import { z } from "zod";

/**
 * A path as the file system holds it. File names on Linux are bytes, not text: a string only spells them
 * when they are valid UTF-8 (Node writes string paths as UTF-8), so any other name stays a Buffer and is
 * opened by its exact bytes.
 */
export type FilePath = string | Buffer;
export const FilePathSchema = z.union([z.string(), z.instanceof(Buffer)]);

/** How a name's bytes were turned into text for people; anything but UTF-8 is a guess. */
export const NameEncodingSchema = z.enum(["utf-8", "shift_jis", "cp1252"]);
export type NameEncoding = z.infer<typeof NameEncodingSchema>;

/** Base64 of a path's exact bytes, kept beside a display name that does not spell them. */
export const NameBytesSchema = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SHIFT_JIS = new TextDecoder("shift_jis", { fatal: true });
const CP1252 = new TextDecoder("windows-1252");
/** Kana: Shift-JIS text almost always has some, Latin-1 text read as Shift-JIS almost never does. */
const KANA = /[\u3040-\u30ff]/;

/** The text a name's bytes most likely spell: UTF-8 when valid, else Shift-JIS or CP-1252 (never fails). */
export function decodeName(bytes: Uint8Array): { text: string; encoding: NameEncoding } {
  try {
    return { text: UTF8.decode(bytes), encoding: "utf-8" };
  } catch {}
  try {
    const text = SHIFT_JIS.decode(bytes);
    if (KANA.test(text)) return { text, encoding: "shift_jis" };
  } catch {}
  return { text: CP1252.decode(bytes), encoding: "cp1252" };
}

/**
 * Control characters (newlines included) and bidirectional overrides written as escapes, so a name can
 * neither break a one-line-per-track output nor make itself read as another name.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, (c) => {
    const code = c.codePointAt(0)!;
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** The exact bytes are valid UTF-8: the string spells them; otherwise the bytes themselves. */
export function fsPath(bytes: Buffer): FilePath {
  try {
    return UTF8.decode(bytes);
  } catch {
    return bytes;
  }
}

export function pathBytes(path: FilePath): Buffer {
  return typeof path === "string" ? Buffer.from(path, "utf8") : path;
}

const SLASH = Buffer.from("/");
const SLASH_BYTE = 0x2f;

export function joinPath(dir: FilePath, name: FilePath): FilePath {
  if (typeof dir === "string" && typeof name === "string") return `${dir.replace(/\/+$/, "")}/${name}`;
  return Buffer.concat([pathBytes(dir), SLASH, pathBytes(name)]);
}

export function dirnamePath(path: FilePath): FilePath {
  const bytes = pathBytes(path);
  const cut = bytes.lastIndexOf(SLASH_BYTE);
  return fsPath(cut <= 0 ? SLASH : bytes.subarray(0, cut));
}

/** Any path, readable (decoded, controls escaped): for messages about paths outside the library. */
export function showPath(path: FilePath): string {
  return escapeControls(decodeName(pathBytes(path)).text);
}

/**
 * A library path as people see it, and what the journal keys it by. `text` is the readable decoding
 * (controls escaped); `display` adds a note when that decoding is a guess or when two names look alike;
 * `bytes` (base64) is set whenever `text` does not spell the exact bytes, so the key always round-trips.
 */
export interface LibraryName {
  display: string;
  text: string;
  encoding: NameEncoding;
  bytes?: string;
}

/** A relative path's bytes from its components' bytes: the one place they are joined. */
export function joinComponents(components: Buffer[]): Buffer {
  return Buffer.concat(components.flatMap((c, i) => (i === 0 ? [c] : [SLASH, c])));
}

/** The components of a relative path's bytes (views of them, not copies). */
export function splitComponents(bytes: Buffer): Buffer[] {
  const components: Buffer[] = [];
  let start = 0;
  for (let cut = bytes.indexOf(SLASH_BYTE); cut >= 0; cut = bytes.indexOf(SLASH_BYTE, start)) {
    components.push(bytes.subarray(start, cut));
    start = cut + 1;
  }
  components.push(bytes.subarray(start));
  return components;
}

/**
 * Names a relative path given as its components' bytes. `lookalike` marks components that are the NFD
 * form of a name that also exists in NFC beside them (a macOS copy): the same text, other bytes.
 */
export function libraryName(components: Buffer[], lookalike: boolean[] = []): LibraryName {
  const decoded = components.map((c) => decodeName(c));
  const text = decoded.map((d) => escapeControls(d.text)).join("/");
  const guessed = [...new Set(decoded.filter((d) => d.encoding !== "utf-8").map((d) => d.encoding))];
  const notes = [
    ...(guessed.length ? [`name decoded as ${guessed.join(" and ")}`] : []),
    ...(lookalike.some(Boolean) ? ["NFD: same text as another file's name, other bytes"] : []),
  ];
  const raw = joinComponents(components);
  const display = notes.length ? `${text} (${notes.join("; ")})` : text;
  return {
    display,
    text,
    encoding: guessed[0] ?? "utf-8",
    bytes: Buffer.from(display, "utf8").equals(raw) ? undefined : raw.toString("base64"),
  };
}

/** The journal's key for a library path: its exact bytes (records written before the bytes were kept are UTF-8). */
export function nameKey(record: { file: string; nameBytes?: string }): string {
  return record.nameBytes ?? Buffer.from(record.file, "utf8").toString("base64");
}
