import type { Problem } from "../library/problems.js";
import type { ObjectKind } from "../providers/types.js";

/** How an item ended well: a track of a run, an object of `dcmx migrate` or `verify --repair`, a synced token. */
export type TrackOutcome =
  | "already minted"
  /** Stored and verified on a run without a chain (`dcmx upload`). */
  | "stored"
  /** `dcmx migrate` and `verify --repair`: one object sent to a provider, or found there already. */
  | "copied"
  | "already there"
  /** `dcmx marketplace sync`: the marketplace shows the token as its metadata says. */
  | "synced";

/**
 * What a run (or a command that moves objects or tokens) tells whoever listens: the terminal renderers, a
 * benchmark's counters, a future UI. Each item counted by `started` ends with exactly one of `done`,
 * `minted`, `failed`, `pending` or `skipped`; the other events say what happens on the way or to no item.
 * Facts travel as fields: no listener reads the wording of a message to learn what happened.
 */
export type RunEvent =
  /** How many items the ending events will be about: for a run, the audio files the scan found. */
  | { type: "started"; total: number }
  /** The scan accepted an audio file as a track; it goes through the stages next. */
  | { type: "scanned"; file: string; bytes: number }
  /** Bytes that went out to a provider: long uploads show movement before their item ends. */
  | { type: "bytes-sent"; bytes: number }
  /** One of a track's objects is held by a provider (and recorded in the ledger). */
  | { type: "stored"; file: string; kind: ObjectKind; provider: string }
  /** Stored and verified, waiting for its mint batch (which may take many more tracks to fill). */
  | { type: "ready"; file: string }
  | { type: "minted"; file: string; bytes: number; tokenId: string; alreadyOnChain: boolean }
  | { type: "done"; file: string; bytes: number; outcome: TrackOutcome }
  /**
   * The item will not get further this time. `stage` is where it stopped (`scan` for a file the scan
   * refused, with the problem's `code` and `field`); `error` says why and how to fix it.
   */
  | { type: "failed"; file: string; stage: string; error: string; code?: string; field?: string }
  /** Stored where it could be, but a provider the track needs failed: a later run finishes it. */
  | { type: "pending"; file: string; reason: string }
  /** An audio file left out on purpose (the same bytes as another track). */
  | { type: "skipped"; file: string; reason: string; code: string }
  /** What the scan found that is not an audio file's end: a track's warning, a file that is not audio. */
  | { type: "problem"; problem: Problem }
  /** Something the run met that needs attention but stops no item (a provider left out, a disk short). */
  | { type: "warning"; message: string; code?: string; file?: string; provider?: string }
  /** A line that is not about one item: scanning, the deployment, the summary. */
  | { type: "notice"; message: string }
  /**
   * Every item has ended, or the run stopped: renderers put their bar away. Said again when the run ends
   * after its summary, so listeners take it more than once.
   */
  | { type: "finished" };

export type RunEventListener = (event: RunEvent) => void;

/**
 * The one emitter a run, its stages and the commands tell what happens on. Listeners are called in the
 * order they subscribed, synchronously: a renderer's line is out before the run goes on.
 */
export class RunEvents {
  readonly #listeners: RunEventListener[] = [];

  on(listener: RunEventListener): this {
    this.#listeners.push(listener);
    return this;
  }

  emit(event: RunEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
