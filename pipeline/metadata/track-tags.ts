import { z } from "zod";

/** Bounds keep a runaway value (a pasted file, a 50 MB string) out of metadata that is pinned and minted for good. */
const MAX_TEXT = 1_000;
const MAX_LONG_TEXT = 100_000;
/**
 * A NUL or escape in a tag (a damaged frame, a separator kept by a tag editor) would be minted for good and
 * breaks an HTTP header (S3 object metadata); one-line fields take no line break either.
 */
const CONTROL = /\p{Cc}/u;
// Searched for, not matched over the whole value: a 10 MB value must not exhaust the regex engine's stack.
const CONTROL_BUT_LINES = /[^\P{Cc}\n\r\t]/u;
const text = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
  .refine((value) => !CONTROL.test(value), "must not contain control characters (NUL, escape, line break)");
const longText = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(MAX_LONG_TEXT, `must be at most ${MAX_LONG_TEXT} characters`)
  .refine(
    (value) => !CONTROL_BUT_LINES.test(value),
    "must not contain control characters other than line breaks and tabs",
  );
/** Accepts "A" or ["A", "B"]: tag formats and people writing metadata.json both do either. */
const textList = z
  .union([text, z.array(text).min(1, "must list at least one name")])
  .transform((value) => (Array.isArray(value) ? value : [value]));

/** ISRCs are written with or without hyphens and in any case; the registry form is 12 characters. */
const isrc = z
  .string()
  .transform((value) => value.replaceAll("-", "").trim().toUpperCase())
  .pipe(
    z.string().regex(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/, "expected an ISRC like USABC2400001 (CC-XXX-YY-NNNNN)"),
  );

const releaseDate = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, "expected a date as YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2024-05-01)")
  .refine(isCalendarDate, "is not a date on the calendar (month 01-12, a day the month has)");

function isCalendarDate(value: string): boolean {
  const [year, month = 1, day = 1] = value.split("-").map(Number) as [number, number?, number?];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const CreditSchema = z.strictObject({ name: text, role: text });
export type Credit = z.infer<typeof CreditSchema>;

/**
 * What we know about a track as music, from its tags or from metadata.json: the one shape both sources
 * are validated against, and what the ERC-721 metadata is built from.
 */
export const TrackTagsSchema = z.strictObject({
  title: text,
  /** The artist as displayed ("A feat. B"). */
  artist: text,
  artists: textList,
  album: text,
  albumArtist: text,
  trackNumber: z.int().positive(),
  trackTotal: z.int().positive(),
  discNumber: z.int().positive(),
  discTotal: z.int().positive(),
  genre: text,
  date: releaseDate,
  isrc,
  bpm: z.number().positive().max(999),
  key: z.string().trim().min(1).max(24),
  composer: textList,
  lyrics: longText,
  copyright: text,
  license: text,
  recordLabel: text,
  upc: z.string().regex(/^\d{12,14}$/, "expected a UPC/EAN barcode of 12 to 14 digits"),
  releaseType: text,
  description: longText,
  credits: z.array(CreditSchema),
});
export type TrackTags = Partial<z.output<typeof TrackTagsSchema>>;
export const TRACK_TAG_FIELDS = Object.keys(TrackTagsSchema.shape) as Array<keyof TrackTags>;

/** The year, when the date says one. */
export function yearOf(tags: TrackTags): number | undefined {
  return tags.date === undefined ? undefined : Number(tags.date.slice(0, 4));
}
