import { MultiBar, type SingleBar } from "cli-progress";
import { redact } from "../util/secrets.js";
import { type RunEvent, RunEvents, type TrackOutcome } from "./events.js";
import { formatBytes } from "./format.js";

const OUTCOME_LABEL: Record<TrackOutcome, string> = {
  "already minted": "Already minted",
  stored: "Stored",
  copied: "Copied",
  "already there": "Already there",
  synced: "Synced",
};

/**
 * Plain lines in the original design's format, for logs, CI and pipes:
 * `  ✓ Minted: song1.mp3 (4.2 MB) [1/150]` / `  ✗ Failed: song3.mp3 - upload audio: Network timeout`.
 * Every line is redacted: a provider's error may quote a key.
 */
export class LineProgress {
  #total = 0;
  #count = 0;
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  render(event: RunEvent): void {
    const line = this.#line(event);
    if (line !== undefined) this.write(redact(line));
  }

  #line(event: RunEvent): string | undefined {
    switch (event.type) {
      case "started":
        this.#total = event.total;
        return undefined;
      case "minted":
        return this.#ended(event.file, event.bytes, event.alreadyOnChain ? "Already minted" : "Minted");
      case "done":
        return this.#ended(event.file, event.bytes, OUTCOME_LABEL[event.outcome]);
      case "failed":
        this.#count++;
        return `  ✗ Failed: ${event.file} - ${event.stage}: ${withoutFile(event.file, event.error)}`;
      case "pending":
        this.#count++;
        return `  ✗ Failed: ${event.file} - pending — ${event.reason}`;
      case "skipped":
        this.#count++;
        return `  - Skipped: ${event.file} - ${withoutFile(event.file, event.reason)} [${this.#count}/${this.#total}]`;
      case "problem":
        return `  ${event.problem.severity === "warning" ? "!" : "✗"} ${event.problem.message}`;
      case "warning":
        return `  ! ${event.message}`;
      case "notice":
        return event.message;
      // One line per item, printed when its fate is known; the bar shows the steps before that.
      case "scanned":
      case "bytes-sent":
      case "stored":
      case "ready":
      case "finished":
        return undefined;
    }
  }

  #ended(file: string, bytes: number, label: string): string {
    this.#count++;
    // Tokens synced with a marketplace move no bytes of ours: no size to show.
    const size = bytes > 0 ? ` (${formatBytes(bytes)})` : "";
    return `  ✓ ${label}: ${file}${size} [${this.#count}/${this.#total}]`;
  }
}

/**
 * A live bar on a terminal; per-item lines scroll above it (cli-progress's MultiBar log keeps the bar
 * intact), so nothing is hidden behind the bar.
 */
export class BarProgress {
  readonly #multi: MultiBar;
  #bar: SingleBar | undefined;
  // Before the bar exists (scanning) and after it stopped (summary), plain lines are the right thing.
  readonly #lines = new LineProgress((line) =>
    this.#bar === undefined ? console.log(line) : this.#multi.log(`${line}\n`),
  );
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

  render(event: RunEvent): void {
    this.#lines.render(event);
    switch (event.type) {
      case "started":
        this.#startedAt = performance.now();
        this.#bar = this.#multi.create(event.total, 0, { last: "", ready: 0, ...transfer(0, 0) });
        return;
      case "bytes-sent":
        this.#sentBytes += event.bytes;
        this.#bar?.update(transfer(this.#sentBytes, performance.now() - this.#startedAt));
        return;
      case "ready":
        this.#waiting.add(event.file);
        this.#bar?.update({ ready: this.#waiting.size, last: `stored ${event.file}` });
        return;
      case "minted":
      case "done":
        this.#ended(event.file, event.file);
        return;
      case "failed":
      case "pending":
        this.#ended(event.file, `✗ ${event.file}`);
        return;
      case "skipped":
        this.#ended(event.file, `- ${event.file}`);
        return;
      case "finished":
        this.#stop();
        return;
    }
  }

  #ended(file: string, last: string): void {
    this.#waiting.delete(file);
    this.#bar?.increment(1, { last, ready: this.#waiting.size });
  }

  #stop(): void {
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

/** An emitter whose events are shown to the person at the terminal: a bar there, plain lines otherwise. */
export function createProgress(
  interactive = Boolean(process.stderr.isTTY) && process.env.CI === undefined,
  unit: ProgressUnit = "tracks",
): RunEvents {
  const renderer = interactive ? new BarProgress(unit) : new LineProgress();
  return new RunEvents().on((event) => renderer.render(event));
}
