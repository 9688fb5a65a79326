import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ledger, type TrackState } from "../../pipeline/ledger/ledger.js";

/** Every track the work directory's ledger holds (opened and closed again: no run may be using it). */
export async function ledgerTracks(workDir: string): Promise<TrackState[]> {
  const ledger = await Ledger.open({ workDir });
  try {
    const tracks: TrackState[] = [];
    for await (const track of ledger.tracks()) tracks.push(track);
    return tracks;
  } finally {
    await ledger.close();
  }
}

/** The raw bytes of the ledger's files (database, WAL), as text: what a secret must never be found in. */
export async function ledgerFileText(workDir: string): Promise<string> {
  const files = (await readdir(workDir)).filter((f) => f.startsWith("ledger.sqlite"));
  if (files.length === 0) throw new Error(`no ledger in ${workDir}`);
  const texts = await Promise.all(files.map((f) => readFile(join(workDir, f), "latin1")));
  return texts.join("\n");
}
