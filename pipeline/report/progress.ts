import { MultiBar, type SingleBar } from "cli-progress";
import { redact } from "../util/secrets.js";
import { formatBytes } from "./format.js";

export type TrackOutcome =
  | "uploaded"
  | "minted"
  | "already minted"
  | "stored"
  | "pending"
  /** `dcmx migrate` and `verify --repair`: one object sent to a provider, or found there already. */
  | "copied"
  | "already there"
  /** `dcmx marketplace sync`: the marketplace shows the token as its metadata says. */
  | "synced";

/** Where the pipeline tells a person what is happening. */
export interface Progress {
  start(totalTracks: number): void;
  done(file: string, bytes: number, outcome: TrackOutcome): void;
  failed(file: string, reason: string): void;
  /** An audio file left out on purpose (the same bytes as another track). */
  skipped(file: string, reason: string): void;
  /** Stored and verified, waiting for its mint batch (which may take many more tracks to fill). */
  ready(file: string): void;
  /** Bytes that went out to a provider: long uploads show movement before their track is done. */
  sent(bytes: number): void;
  /** A line that is not about one track (deployment, retries, a degraded provider). */
  note(message: string): void;
  stop(): void;
}

const OUTCOME_LABEL: Record<TrackOutcome, string> = {
  uploaded: "Uploaded",
  minted: "Minted",
  "already minted": "Already minted",
  stored: "Stored",
  pending: "Pending",
  copied: "Copied",
  "already there": "Already there",
  synced: "Synced",
};

/**
 * Plain lines in the original design's format, for logs, CI and pipes:
 * `  ✓ Minted: song1.mp3 (4.2 MB) [1/150]` / `  ✗ Failed: song3.mp3 - Network timeout`.
 */
export class LineProgress implements Progress {
  #total = 0;
  #count = 0;
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  start(totalTracks: number): void {
    this.#total = totalTracks;
  }

  done(file: string, bytes: number, outcome: TrackOutcome): void {
    this.#count++;
    // Tokens synced with a marketplace move no bytes of ours: no size to show.
    const size = bytes > 0 ? ` (${formatBytes(bytes)})` : "";
    this.write(`  ✓ ${OUTCOME_LABEL[outcome]}: ${file}${size} [${this.#count}/${this.#total}]`);
  }

  failed(file: string, reason: string): void {
    this.#count++;
    this.write(`  ✗ Failed: ${file} - ${redact(withoutFile(file, reason))}`);
  }

  skipped(file: string, reason: string): void {
    this.#count++;
    this.write(`  - Skipped: ${file} - ${redact(withoutFile(file, reason))} [${this.#count}/${this.#total}]`);
  }

  /** Lines stay one per track, printed when its fate is known; the bar shows these instead. */
  ready(): void {}
  sent(): void {}

  note(message: string): void {
    this.write(redact(message));
  }

  stop(): void {}
}

/**
 * A live bar on a terminal; per-track lines scroll above it (cli-progress's MultiBar log keeps the bar
 * intact), so nothing is hidden behind the bar.
 */
export class BarProgress implements Progress {
  readonly #multi: MultiBar;
  #bar: SingleBar | undefined;
  readonly #lines = new LineProgress((line) => this.#multi.log(`${line}\n`));
  /** Tracks stored and verified whose mint has not happened yet. */
  readonly #waiting = new Set<string>();
  #sentBytes = 0;
  #startedAt = 0;

  /**
   * `unit` is what the bar counts: tracks on their way to a mint, objects copied between providers, or
   * tokens synced with a marketplace (which sends none of our bytes).
   */
  constructor(unit: ProgressUnit = "tracks") {
    const waiting = unit === "tracks" ? " | {ready} stored, waiting to mint" : "";
    const bytes = unit === "tokens" ? "" : " | {sent} sent, {rate}";
    this.#multi = new MultiBar({
      format: `  {bar} {percentage}% | {value}/{total} ${unit}${bytes}${waiting} | {last}`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    });
  }

  start(totalTracks: number): void {
    this.#lines.start(totalTracks);
    this.#startedAt = performance.now();
    this.#bar = this.#multi.create(totalTracks, 0, { last: "", ready: 0, ...transfer(0, 0) });
  }

  sent(bytes: number): void {
    this.#sentBytes += bytes;
    this.#bar?.update(transfer(this.#sentBytes, performance.now() - this.#startedAt));
  }

  done(file: string, bytes: number, outcome: TrackOutcome): void {
    this.#lines.done(file, bytes, outcome);
    this.#waiting.delete(file);
    this.#bar?.increment(1, { last: file, ready: this.#waiting.size });
  }

  failed(file: string, reason: string): void {
    this.#lines.failed(file, reason);
    this.#waiting.delete(file);
    this.#bar?.increment(1, { last: `✗ ${file}`, ready: this.#waiting.size });
  }

  skipped(file: string, reason: string): void {
    this.#lines.skipped(file, reason);
    this.#bar?.increment(1, { last: `- ${file}` });
  }

  ready(file: string): void {
    this.#waiting.add(file);
    this.#bar?.update({ ready: this.#waiting.size, last: `stored ${file}` });
  }

  note(message: string): void {
    // Before the bar exists (scanning) and after it stopped (summary), plain lines are the right thing.
    if (this.#bar === undefined) console.log(redact(message));
    else this.#lines.note(message);
  }

  stop(): void {
    if (this.#bar === undefined) return;
    // Draw once more so lines logged since the last frame are printed before the bar stops.
    this.#multi.update();
    this.#multi.stop();
    this.#bar = undefined;
  }
}

/** The bar's byte counter: everything sent to providers so far and the average rate since the start. */
export function transfer(bytes: number, elapsedMs: number): { sent: string; rate: string } {
  const perSecond = elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0;
  return { sent: formatBytes(bytes), rate: `${formatBytes(Math.round(perSecond))}/s` };
}

/** Scan problems already start with the file's name, which the line has just printed. */
function withoutFile(file: string, reason: string): string {
  return reason.startsWith(`${file}: `) ? reason.slice(file.length + 2) : reason;
}

export type ProgressUnit = "tracks" | "objects" | "tokens";

export function createProgress(
  interactive = Boolean(process.stderr.isTTY) && process.env.CI === undefined,
  unit: ProgressUnit = "tracks",
): Progress {
  return interactive ? new BarProgress(unit) : new LineProgress();
}
