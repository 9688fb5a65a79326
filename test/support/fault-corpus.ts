import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { encode, hugePng, mp3, solidImage, toneWav } from "./audio-fixtures.js";

const run = promisify(execFile);

/**
 * What the pipeline must make of one hostile input: a minted track, a duplicate of another, or a problem
 * that names the file (relative to the library) and, when there is one, the field to fix.
 */
export type CorpusExpectation =
  | { outcome: "minted"; file: string }
  | { outcome: "duplicate"; file: string; of: string }
  | { outcome: "problem"; file: string; field?: string; mentions?: string };

export interface CorpusCase {
  name: string;
  expect: CorpusExpectation;
}

/** 50 MB: a metadata.json value far beyond any tag, to prove it cannot reach a token. */
const HUGE_STRING_BYTES = 50 * 1024 * 1024;

/**
 * Builds the bad-input corpus in `<root>/library` (with `<root>/outside` beside it) at test time and returns
 * every case with what the pipeline must do with it. Good tracks are 1-second tones, each of its own
 * frequency, so every track has distinct bytes.
 */
export async function buildCorpus(root: string): Promise<CorpusCase[]> {
  const lib = join(root, "library");
  const src = join(root, "src");
  const outside = join(root, "outside");
  await Promise.all([lib, src, outside].map((d) => mkdir(d, { recursive: true })));
  let tone = 0;
  /** A tagged 1-second MP3 with bytes of its own, at `lib/<file>`. */
  const track = async (file: string, tags: { title?: string; artist?: string } = {}) => {
    const wav = join(src, `${tone}.wav`);
    await toneWav(wav, 1, 300 + 13 * tone++);
    await mkdir(dirname(join(lib, file)), { recursive: true });
    await mp3(wav, join(lib, file), { title: file, artist: "Corpus Artist", ...tags });
    return join(lib, file);
  };
  const cases: CorpusCase[] = [];
  const minted = (name: string, file: string) => cases.push({ name, expect: { outcome: "minted", file } });
  const good = async (name: string, file: string) => {
    await track(file);
    minted(name, file);
  };
  const problem = (name: string, file: string, field?: string, mentions?: string) =>
    cases.push({ name, expect: { outcome: "problem", file, field, mentions } });

  // Good tracks under hostile names: each must be minted, named as it is on disk.
  const plain = await track("0 plain.mp3");
  minted("control track", "0 plain.mp3");
  await good("MP3 bytes behind a .flac extension (type is taken from the bytes)", "really-mp3.flac");
  await good("upper-case extension", "LOUD.MP3");
  await good("unicode name", "Ünïcødé 日本語 🎵.mp3");
  await good("spaces in name", "  lots   of  spaces  .mp3");
  const long = `${"long-name-".repeat(24)}x.mp3`;
  await good("name of 245 bytes", long);
  await good("backslashes and ../ in a name", "x ..\\..\\..\\etc\\passwd.mp3");
  await good("directory named like a file", "folder.mp3/inner.mp3");
  await track("loop/inside.mp3");
  await symlink("..", join(lib, "loop", "self"));
  minted("directory symlink loop (walked once)", "loop/inside.mp3");
  await track("deep/a/b/c/d/e/f/g/h/deep.mp3");
  minted("deeply nested directory", "deep/a/b/c/d/e/f/g/h/deep.mp3");
  await mkdir(join(lib, "empty-dir"));
  await writeFile(join(lib, "notes.txt"), "liner notes\n");
  problem("a text file among the tracks (skipped, named)", "notes.txt", undefined, "not audio");

  // The same bytes under another name and through a link: minted once.
  await copyFile(plain, join(lib, "copy of plain.mp3"));
  cases.push({
    name: "duplicate track under another name",
    expect: { outcome: "duplicate", file: "copy of plain.mp3", of: "0 plain.mp3" },
  });
  await symlink("0 plain.mp3", join(lib, "link-to-plain.mp3"));
  cases.push({
    name: "symlink inside the library to a track",
    expect: { outcome: "duplicate", file: "link-to-plain.mp3", of: "0 plain.mp3" },
  });

  // Broken audio.
  await writeFile(join(lib, "empty.mp3"), "");
  problem("zero-byte audio", "empty.mp3", "content", "empty");
  const wav = join(src, "cut-source.wav");
  await toneWav(wav, 1, 1234);
  await writeFile(join(lib, "cut.wav"), (await readFile(wav)).subarray(0, 20_000));
  problem("truncated WAV", "cut.wav", "content", "truncated");
  await encode(wav, join(src, "whole.flac"), ["-c:a", "flac"], { artist: "Corpus Artist" });
  await writeFile(join(lib, "cut.flac"), (await readFile(join(src, "whole.flac"))).subarray(0, 3_000));
  problem("truncated FLAC", "cut.flac", "bitrate", "damaged");
  await writeFile(join(lib, "cut.mp3"), (await readFile(plain)).subarray(0, 300));
  problem("truncated MP3 (tag only, no audio frame)", "cut.mp3", "duration");
  await writeFile(join(lib, "text.mp3"), "this is not an mp3\n".repeat(100));
  problem("text behind an .mp3 extension", "text.mp3", "content");
  await solidImage(join(src, "picture.png"), 16, 16);
  await copyFile(join(src, "picture.png"), join(lib, "picture.wav"));
  problem("an image behind a .wav extension", "picture.wav", "content", "image/png");
  await run("mkfifo", [join(lib, "pipe.mp3")]);
  problem("a FIFO named like a track (must not hang)", "pipe.mp3", "path", "not a regular file");
  await track("no-artist.mp3", { artist: "" });
  problem("no artist anywhere", "no-artist.mp3", "artist");

  // Links that leave the library or go nowhere.
  await writeFile(join(outside, "secret.mp3"), await readFile(plain));
  await symlink(join(outside, "secret.mp3"), join(lib, "outside-link.mp3"));
  problem("symlink to a file outside the library", "outside-link.mp3", "path");
  await symlink("loop-b.mp3", join(lib, "loop-a.mp3"));
  await symlink("loop-a.mp3", join(lib, "loop-b.mp3"));
  problem("symlink loop between two files (a)", "loop-a.mp3", "path", "loops");
  problem("symlink loop between two files (b)", "loop-b.mp3", "path", "loops");
  await symlink(join(lib, "nowhere.mp3"), join(lib, "dangling.mp3"));
  problem("dangling symlink", "dangling.mp3", "path");

  // metadata.json entries that are wrong: each fails only its own track, naming key and field.
  await track("wrongtype.mp3");
  problem("metadata.json: wrong type", "metadata.json", "wrongtype.trackNumber");
  await track("unknownkey.mp3");
  problem("metadata.json: unknown key", "metadata.json", "unknownkey.colour");
  await track("proto.mp3");
  problem("metadata.json: __proto__ inside an entry", "metadata.json", "proto.__proto__");
  await track("constructor.mp3");
  problem("metadata.json: constructor.prototype inside an entry", "metadata.json", "constructor.constructor");
  await track("hugestring.mp3");
  problem("metadata.json: a 50 MB string", "metadata.json", "hugestring.title", "at most");
  await track("baddate.mp3");
  problem("metadata.json: impossible date", "metadata.json", "baddate.date", "calendar");
  await track("notimage.mp3");
  await mkdir(join(lib, "art"), { recursive: true });
  await writeFile(join(lib, "art", "fake.png"), "<html>not a png</html>\n");
  problem("artwork that is not an image", "notimage.mp3", "artwork", "art/fake.png");
  await track("hugeart.mp3");
  await hugePng(join(lib, "art", "huge.png"), 20_000);
  problem("artwork of 20000×20000 px", "hugeart.mp3", "artwork", "20000");
  await track("escape.mp3");
  problem("artwork path climbing out with ../", "escape.mp3", "artwork", "/etc/passwd");
  // A cover found by name is only a guess: a broken one is a warning and the track is minted without it.
  await good("cover.jpg beside a track that is not an image", "badcover/track.mp3");
  await writeFile(join(lib, "badcover", "cover.jpg"), "not a jpeg");

  const metadata =
    "{" +
    [
      `"wrongtype": {"trackNumber": "seven"}`,
      `"unknownkey": {"title": "Known", "colour": "blue"}`,
      `"proto": {"title": "Safe", "__proto__": {"polluted": true}}`,
      `"constructor": {"constructor": {"prototype": {"polluted": true}}}`,
      `"__proto__": {"artist": "Prototype Artist"}`,
      `"baddate": {"date": "2024-13-45"}`,
      `"notimage": {"artwork": "art/fake.png"}`,
      `"hugeart": {"artwork": "art/huge.png"}`,
      `"escape": {"artwork": "../../../../../../../../etc/passwd"}`,
      `"hugestring": {"title": "`,
    ].join(",");
  await writeFile(join(lib, "metadata.json"), metadata);
  await writeFile(join(lib, "metadata.json"), "x".repeat(HUGE_STRING_BYTES), { flag: "a" });
  await writeFile(join(lib, "metadata.json"), `"}}`, { flag: "a" });
  return cases;
}
