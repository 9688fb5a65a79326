import { parseCidProfile } from "../../pipeline/content/profiles.js";
import { InputError } from "../../pipeline/errors.js";
import type { Problem } from "../../pipeline/library/problems.js";
import { encodeMetadata } from "../../pipeline/metadata/encode.js";
import { buildTrackMetadata, minutesSeconds } from "../../pipeline/metadata/track-metadata.js";
import { collectScan, type ScanResult } from "../../pipeline/scan/collect-scan.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx scan <dir> [--metadata metadata.json] [--artwork-dir D] [--json]

Reads every track in <dir> (tags, artwork, metadata.json overrides) without uploading anything, and
prints one row per track plus every problem found. Exits 1 when a file could not become a track.

Options:
  --metadata F      metadata.json overriding tags (default: <dir>/metadata.json when present)
  --artwork-dir D   folder of artwork named like the tracks (song1.jpg for song1.mp3)
  --extract-dir D   where embedded cover art is written (default: .dcmx/artwork)
  --profile P       CID profile for the CIDs shown: unixfs-v1-2025 (default) or kubo-v0
  --json            print the scan and every track's ERC-721 metadata draft as JSON`;

export const scanCommand: Command = {
  name: "scan",
  summary: "read a music folder's tags and artwork and show the metadata each track would get",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs("scan", args, {
      metadata: { type: "string" },
      "artwork-dir": { type: "string" },
      "extract-dir": { type: "string" },
      profile: { type: "string" },
      json: { type: "boolean", default: false },
    });
    if (positionals.length !== 1) {
      throw new InputError("USAGE", "expected exactly one library folder", {
        field: "<dir>",
        hint: "e.g. dcmx scan examples/library",
      });
    }
    const result = await collectScan(positionals[0]!, {
      metadataFile: values.metadata,
      artworkDir: values["artwork-dir"],
      extractDir: values["extract-dir"],
      profile:
        values.profile === undefined ? undefined : parseCidProfile(values.profile, { field: "--profile" }),
    });
    console.log(values.json ? JSON.stringify(jsonReport(result), null, 2) : table(result));
    return result.problems.some((p) => p.severity === "error") ? 1 : 0;
  },
};

function jsonReport(result: ScanResult) {
  return {
    root: result.root,
    tracks: result.tracks.map((track) => {
      const metadata = buildTrackMetadata(track);
      return {
        file: track.file,
        content: track.content,
        metadataCid: encodeMetadata(metadata).cid,
        metadata,
      };
    }),
    problems: result.problems,
  };
}

function table(result: ScanResult): string {
  const byFile = new Map<string, Problem[]>();
  for (const p of result.problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  const problemText = (problems: Problem[] | undefined) =>
    (problems ?? []).map((p) => `${p.severity}: ${p.code}`).join("; ");
  const rows = result.tracks.map((t) => [
    t.file,
    t.tags.title,
    t.tags.artist,
    minutesSeconds(t.audio.durationSeconds),
    t.format,
    t.artwork?.source ?? "-",
    problemText(byFile.get(t.file)),
  ]);
  const trackFiles = new Set(result.tracks.map((t) => t.file));
  const header = ["file", "title", "artist", "duration", "format", "artwork", "problems"];
  const lines = render([header, ...rows]);
  const details = result.problems.map((p) => `  ${p.severity.padEnd(7)} ${p.message}`);
  const others = [...byFile.keys()].filter((file) => !trackFiles.has(file)).length;
  const summary = `${result.tracks.length} track(s), ${others} other file(s) with problems`;
  return [...lines, "", summary, ...(details.length ? ["", "Problems:", ...details] : [])].join("\n");
}

function render(rows: string[][]): string[] {
  const clip = (cell: string) => (cell.length > 40 ? `${cell.slice(0, 39)}…` : cell);
  const cells = rows.map((row) => row.map(clip));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}
