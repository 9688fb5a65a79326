import { setTimeout as sleep } from "node:timers/promises";
import type { Ledger } from "../ledger/ledger.js";
import type { MintRight } from "../stages/mint.js";
import type { ChainSetup } from "./deployment.js";

/**
 * Workers starting together must not each deploy a collection: only the holder of the signer's mint lease
 * may deploy; the others wait until the ledger names a collection that exists on the chain. Returns once
 * this worker may go on to `resolveTracksChain` (which then finds that collection, or deploys it).
 */
export async function awaitSharedDeployment(
  setup: ChainSetup,
  ledger: Ledger,
  right: MintRight,
  pollMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const chainId = await setup.publicClient.getChainId();
  for (;;) {
    const deployed = await ledger.deployment(chainId);
    if (deployed !== undefined) {
      const code = await setup.publicClient.getCode({ address: deployed.contract as `0x${string}` });
      if ((code ?? "0x") !== "0x") return;
    }
    if ((await right.hold()) !== "elsewhere") return;
    await sleep(pollMs, undefined, { signal });
  }
}
