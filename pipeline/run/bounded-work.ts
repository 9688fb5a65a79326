/**
 * The two bounds a run keeps on its work without holding anything per track: places for tracks in flight,
 * and one count of work still running.
 */
/** A counting semaphore: `take` resolves with the release of one place once one is free (first come, first served). */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** Work started along the way, awaited as a whole without keeping a promise per track. */
export class WorkGroup {
  #running = 0;
  #idle: (() => void) | undefined;
  /** The first failure; every other piece of work still finishes. */
  error: unknown;

  add(work: Promise<unknown>): void {
    this.#running++;
    work
      .catch((error: unknown) => {
        this.error ??= error;
      })
      .finally(() => {
        if (--this.#running === 0) this.#idle?.();
      });
  }

  async settled(): Promise<void> {
    while (this.#running > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
  }
}
