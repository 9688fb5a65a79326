import { copyFile, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { mp3, toneWav } from "./audio-fixtures.js";

/** One file of the hostile-names library: its exact relative path and what a scan must show for it. */
export interface NameCase {
  what: string;
  /** The relative path's bytes on disk. */
  bytes: Buffer;
  /** The readable name every report must use for it (`file`), with the note a guessed decoding carries. */
  display: string;
  /** Set when the file has the same bytes as another case's (earlier in byte order): reported as its duplicate. */
  duplicateOf?: NameCase;
}

const CP1252 = " (name decoded as cp1252)";
const NFD = " (NFD: same text as another file's name, other bytes)";

const b = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

/**
 * A library whose file names are the kinds a real archive carries: Latin-1 and CP-1252 names from old
 * Windows disks, Shift-JIS from Japanese zips, invalid UTF-8, a macOS NFD copy beside its NFC twin,
 * newlines and terminal escapes, a 255-byte name, and a folder whose own name is not UTF-8. Every file
 * is a distinct 1-second MP3 (title tags left out, so the title comes from the name) except the NFD
 * NFC copy of "Résumé", which has the same bytes as its NFD original.
 */
export async function buildHostileNames(dir: string): Promise<NameCase[]> {
  const lib = join(dir, "library");
  const src = join(dir, "src");
  await mkdir(lib, { recursive: true });
  await mkdir(src, { recursive: true });
  const nfc = "Résumé.mp3".normalize("NFC");
  const nfd = "Résumé.mp3".normalize("NFD");
  const long = `${"n".repeat(251)}.mp3`;
  const resume: NameCase = { what: "NFD name", bytes: b(nfd), display: `${nfd}${NFD}` };
  const cases: NameCase[] = [
    { what: "Latin-1", bytes: b([0xff, 0xfe], "-latin1.mp3"), display: `ÿþ-latin1.mp3${CP1252}` },
    {
      what: "Latin-1 words",
      bytes: b("Sch", [0xf6], "ne Gr", [0xfc, 0xdf], "e.mp3"),
      display: `Schöne Grüße.mp3${CP1252}`,
    },
    {
      what: "CP-1252 quotes and euro",
      bytes: b([0x93], "quoted", [0x94], " ", [0x80], "uro.mp3"),
      display: `“quoted” €uro.mp3${CP1252}`,
    },
    {
      what: "Shift-JIS",
      bytes: b([0x82, 0xa0, 0x82, 0xa2, 0x82, 0xa4, 0x20, 0x83, 0x65, 0x83, 0x58, 0x83, 0x67], ".mp3"),
      display: "あいう テスト.mp3 (name decoded as shift_jis)",
    },
    {
      what: "invalid UTF-8 sequences (truncated, overlong, lone continuation)",
      bytes: b("bad-", [0xe2, 0x82], "-", [0xc0, 0xaf], "-", [0x80], ".mp3"),
      display: `bad-â‚-À¯-€.mp3${CP1252}`,
    },
    { what: "NFC name", bytes: b("Café.mp3".normalize("NFC")), display: "Café.mp3" },
    {
      what: "NFD name with other audio",
      bytes: b("Café.mp3".normalize("NFD")),
      display: `${"Café.mp3".normalize("NFD")}${NFD}`,
    },
    resume,
    {
      what: "NFC copy, same bytes (sorts after the NFD bytes)",
      bytes: b(nfc),
      display: nfc,
      duplicateOf: resume,
    },
    { what: "newline", bytes: b("line\nbreak.mp3"), display: "line\\nbreak.mp3" },
    {
      what: "terminal escape and bell",
      bytes: b("red\x1b[31m bell\x07.mp3"),
      display: "red\\x1b[31m bell\\x07.mp3",
    },
    { what: "255-byte name", bytes: b(long), display: long },
    {
      what: "folder not UTF-8",
      bytes: b("Disc ", [0xe9], "/inner.mp3"),
      display: `Disc é/inner.mp3${CP1252}`,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const target = Buffer.concat([Buffer.from(`${lib}/`), c.bytes]);
    if (c.bytes.includes(0x2f))
      await mkdir(target.subarray(0, target.lastIndexOf(0x2f)), { recursive: true });
    if (c.duplicateOf !== undefined) {
      await copyFile(Buffer.concat([Buffer.from(`${lib}/`), c.duplicateOf.bytes]), target);
      continue;
    }
    // lame takes its output name as text; the file is made under a plain name, then given its bytes.
    const wav = join(src, `${i}.wav`);
    await toneWav(wav, 1, 400 + 17 * i);
    await mp3(wav, join(src, `${i}.mp3`), { artist: "Hostile Names" });
    await rename(join(src, `${i}.mp3`), target);
  }
  return cases;
}
