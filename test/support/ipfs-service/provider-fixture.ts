import { EmbeddedIpfsNode } from "../../../pipeline/providers/ipfs/helia-node.js";
import { type SampleTrack, sampleTrack, tempDir } from "../ipfs-fixtures.js";

/**
 * Retries for provider tests. The read-back loop makes a fixed number of looks (at least 4) with backoff
 * from minDelayMs; 100 ms makes those looks span at least 400 ms, which the tests' invisible windows stay
 * within.
 */
export const TEST_RETRY = { retries: 3, minDelayMs: 100, maxDelayMs: 2_000 };

/** What a rejected promise threw, or undefined: for assertions on the error's type and message together. */
export const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

export interface ProviderFixture {
  dir: Awaited<ReturnType<typeof tempDir>>;
  node: EmbeddedIpfsNode;
  /** A 1.2 MB track: two 1 MiB leaves under a dag-pb root. */
  track: SampleTrack;
  /** Closes `service` after the test. */
  closeAfter<T extends { close(): Promise<void> }>(service: T): T;
}

/** Registers the hooks of a remote provider's tests: a fresh node, temp dir and track per test. */
export function providerFixture(): ProviderFixture {
  const open: Array<{ close(): Promise<void> }> = [];
  const fixture = {
    closeAfter<T extends { close(): Promise<void> }>(service: T): T {
      open.push(service);
      return service;
    },
  } as ProviderFixture;
  beforeEach(async () => {
    fixture.dir = await tempDir();
    fixture.node = await new EmbeddedIpfsNode().start({ directory: `${fixture.dir.path}/repo` });
    fixture.track = await sampleTrack(fixture.dir.path, 1_200_000);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await fixture.node.stop();
    await fixture.dir.remove();
  });
  return fixture;
}
