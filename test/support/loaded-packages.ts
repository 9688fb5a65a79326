/**
 * Child process for the storage footprint test: records every package the process loads, opens the
 * embedded storage in the work directory given as argv[2] (nothing configured), prints the packages loaded
 * so far as one JSON line, readies the gateway as `dcmx serve` does, prints them again, and checks the
 * gateway answers for one block.
 */
import { registerHooks } from "node:module";

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    // The package is what follows the last node_modules/: a name, or a scope and a name.
    const inside = result.url.split("/node_modules/").at(-1);
    if (inside !== undefined && inside !== result.url) {
      const [first, second] = inside.split("/");
      loaded.add(first!.startsWith("@") ? `${first}/${second}` : first!);
    }
    return result;
  },
});
const report = (phase: string) => console.log(JSON.stringify({ phase, packages: [...loaded].sort() }));

const { StorageSet } = await import("../../pipeline/storage/storage-set.js");
const storage = await StorageSet.open({ env: { IPFS_GATEWAY_PORT: "0" }, workDir: process.argv[2]! });
try {
  report("opened");
  await storage.node.warmGateway();
  report("warmed");
  // The identity CID of no bytes: every node has it, so the gateway answers without any add.
  const response = await fetch(`${storage.node.gatewayUrl}/ipfs/bafkqaaa?format=raw`);
  if (response.status !== 200) throw new Error(`gateway answered ${response.status}`);
} finally {
  await storage.close();
}
