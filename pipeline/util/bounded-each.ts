/**
 * Runs `task` for indices 0..count-1 in order, at most `concurrency` at a time, starting each only when one
 * finishes: unlike queueing every item on p-limit up front (~0.8 KB a queued item), nothing is held for the
 * items not started yet, so a library of 100k files costs no more here than one of ten.
 */
export async function boundedEach(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
