import { z } from "zod";
import { type Problem, ProblemSchema, sortProblems } from "../library/problems.js";
import { type ScannedTrack, ScannedTrackSchema } from "../metadata/scanned-track.js";
import { type ScanOptions, scanLibrary } from "./scan-library.js";

export const ScanResultSchema = z.object({
  root: z.string(),
  tracks: z.array(ScannedTrackSchema),
  problems: z.array(ProblemSchema),
});
/** A whole library's scan held in memory (`collectScan`): for `dcmx scan`, not for a run or the plan. */
export type ScanResult = z.infer<typeof ScanResultSchema>;

/**
 * A whole library's scan in memory, tracks in library order with every warning: what `dcmx scan` shows
 * (a table whose columns fit every row, or all of it as JSON). A run and the dry-run plan stream instead
 * (`scanLibrary` with `onAudioFile`).
 */
export async function collectScan(
  root: string,
  options: Omit<ScanOptions, "onAudioFile" | "admit"> = {},
): Promise<ScanResult> {
  const tracks: Array<{ order: number; track: ScannedTrack }> = [];
  const warnings: Problem[] = [];
  const summary = await scanLibrary(root, {
    ...options,
    onAudioFile: (outcome) => {
      if (outcome.kind !== "track") return;
      tracks.push({ order: outcome.order, track: outcome.track });
      warnings.push(...outcome.warnings);
    },
  });
  return {
    root: summary.root,
    tracks: tracks.sort((a, b) => a.order - b.order).map((t) => t.track),
    problems: sortProblems([...summary.problems, ...warnings]),
  };
}
