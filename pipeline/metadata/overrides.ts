import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { z } from "zod";
import { InputError } from "../errors.js";
import { TRACK_TAG_FIELDS, TrackTagsSchema } from "./track-tags.js";

/**
 * One entry of metadata.json: any tag, plus `artwork` (a path relative to metadata.json). The original
 * design's format, `{"song1": {"artist": "…", "title": "…", "album": "…"}}`, is a valid file.
 */
export const OverrideEntrySchema = TrackTagsSchema.extend({ artwork: z.string().trim().min(1) })
  .partial()
  .strict();
export type OverrideEntry = z.output<typeof OverrideEntrySchema>;

const ALLOWED_FIELDS = [...TRACK_TAG_FIELDS, "artwork"].join(", ");

export interface Overrides {
  path: string;
  /** How problems name the file (e.g. relative to the library). */
  file: string;
  entries: Map<string, OverrideEntry>;
  /** Entries that failed validation, by key, with every problem found in them. */
  invalid: Map<string, InputError[]>;
  /** Problems with the file as a whole (unreadable, not JSON, not an object). */
  fileErrors: InputError[];
}

/**
 * Reads and validates metadata.json entry by entry, so one mistyped entry spoils only its own track.
 * Never throws for bad content: every problem names the file and the `key.field` to fix.
 */
export async function loadOverrides(path: string, file = path): Promise<Overrides> {
  const overrides: Overrides = { path, file, entries: new Map(), invalid: new Map(), fileErrors: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `is not valid JSON (${error.message})` : "cannot be read";
    overrides.fileErrors.push(
      new InputError("METADATA_JSON", reason, {
        file,
        field: "(file)",
        hint: 'write an object keyed by track file name, e.g. {"song1": {"title": "…", "artist": "…"}}',
        cause: error,
      }),
    );
    return overrides;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    overrides.fileErrors.push(
      new InputError("METADATA_JSON", "must be a JSON object keyed by track file name", {
        file,
        field: "(file)",
        hint: 'e.g. {"song1": {"title": "…", "artist": "…"}}',
      }),
    );
    return overrides;
  }
  for (const [key, value] of Object.entries(parsed)) {
    const result = OverrideEntrySchema.safeParse(value);
    if (result.success) overrides.entries.set(key, result.data);
    else
      overrides.invalid.set(
        key,
        result.error.issues.flatMap((issue) => issueErrors(file, key, issue)),
      );
  }
  return overrides;
}

function issueErrors(file: string, key: string, issue: z.core.$ZodIssue): InputError[] {
  const at = [key, ...issue.path.map(String)].join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map(
      (name) =>
        new InputError("METADATA_FIELD", `unknown field "${name}"`, {
          file,
          field: `${at}.${name}`,
          hint: `use one of: ${ALLOWED_FIELDS}`,
        }),
    );
  }
  return [
    new InputError("METADATA_FIELD", issue.message, { file, field: at, hint: "fix or remove this field" }),
  ];
}

/**
 * The metadata.json key a track answers to, most specific first: its path in the library, the path
 * without extension, its file name, or its file name without extension (the original design's key).
 */
export function overrideKeysFor(relativePath: string): string[] {
  const name = basename(relativePath);
  const stem = (path: string) => path.slice(0, path.length - extname(path).length);
  return [...new Set([relativePath, stem(relativePath), name, stem(name)])];
}
