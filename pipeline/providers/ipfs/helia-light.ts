import type { Helia, HeliaInit } from "helia";

/**
 * `createHeliaLight` without the rest of the `helia` package. Its index also imports libp2p, bitswap and
 * the HTTP routers for `createHelia` (measured: +71 MB RSS, +34 MB V8 heap) that a light node never uses,
 * and the package exports nothing else, so the class is loaded from the module beside the index, as that
 * index does. The version is pinned in package.json; the embedded-node tests exercise this on upgrade.
 */
export async function createHeliaLight(init: HeliaInit): Promise<Helia> {
  const index = import.meta.resolve("helia");
  const [{ Helia: HeliaClass }, { name, version }] = await Promise.all([
    import(new URL("./helia.js", index).href) as Promise<{ Helia: new (init: object) => Helia }>,
    import(new URL("./version.js", index).href) as Promise<{ name: string; version: string }>,
  ]);
  return new HeliaClass({ name, version, ...init });
}
