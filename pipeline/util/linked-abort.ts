/** A request's own controller, aborted by a longer-lived signal until the request lets go of it. */
export interface LinkedAbort {
  readonly controller: AbortController;
  /** Stops listening to the parent signal: call it once the request is done, success or not. */
  release(): void;
}

/**
 * A controller that `parent` (a run's signal, which lives as long as the run) aborts with its reason,
 * through a listener that `release` takes off. Not AbortSignal.any: Node 22 registers the source signal in
 * a FinalizationRegistry at each call and lets go only when that signal dies (nodejs/node#55351), so a run
 * kept ~0.2 KB per request, a track's worth for uploads, to its end.
 */
export function linkedAbort(parent?: AbortSignal): LinkedAbort {
  const controller = new AbortController();
  const forward = () => controller.abort(parent?.reason);
  if (parent?.aborted) forward();
  else parent?.addEventListener("abort", forward, { once: true });
  return { controller, release: () => parent?.removeEventListener("abort", forward) };
}
