import type { Router } from "helia";

/**
 * Helia merges provider lookups from its non-fallback routers with a queue that only ends once one of
 * them has answered: with none, a lookup never settles. This router answers at once with nothing, so a
 * node finds content only in its own blockstore and through the fallback routers it was given.
 */
export const localOnlyRouter: Router = {
  name: "local-only",
  async *findProviders() {},
  async provide() {},
};
