import type { AddressInfo } from "node:net";
import { CarBlockIterator } from "@ipld/car";
import mockPinningService from "mock-ipfs-pinning-service";
import { CID } from "multiformats/cid";
import { assertBlockMatches } from "../../pipeline/providers/ipfs/guard.js";

interface PinStatus {
  requestid: string;
  status: string;
  pin: { cid: string; origins?: string[] };
}

/** `/ip4/127.0.0.1/tcp/8180/http` → `http://127.0.0.1:8180`. */
function originUrl(multiaddr: string): string {
  const [, , host, , port, proto] = multiaddr.split("/");
  return `${proto}://${host}:${port}`;
}

/** Fetches the DAG's CAR from the first origin and checks its root and every block's hash. */
async function fetchAndCheck(pin: PinStatus["pin"]): Promise<boolean> {
  const origin = pin.origins?.[0];
  if (origin === undefined) return false;
  try {
    const response = await fetch(`${originUrl(origin)}/ipfs/${pin.cid}?format=car`);
    const blocks = await CarBlockIterator.fromIterable(response.body!);
    const roots = await blocks.getRoots();
    if (roots.length !== 1 || !roots[0]!.equals(CID.parse(pin.cid))) return false;
    for await (const block of blocks) await assertBlockMatches("origin", CID.asCID(block.cid)!, block.bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The IPFS Pinning Service API (mock-ipfs-pinning-service: the spec's in-memory implementation) on
 * 127.0.0.1, plus the part a real service adds: each queued pin is fetched as a CAR from its origins,
 * every block is hash-checked, and only then is it `pinned` (else `failed`).
 */
export async function startPinningService(token: string) {
  const app = await mockPinningService.setup({ token });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const checked: string[] = [];
  let busy = false;
  const worker = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const state = app.locals.state as { pins: Map<string, PinStatus> };
      for (const [cid, status] of state.pins) {
        if (status.status !== "queued") continue;
        const ok = await fetchAndCheck(status.pin);
        checked.push(cid);
        const current = app.locals.state as { pins: Map<string, PinStatus> };
        const updated = { ...status, status: ok ? "pinned" : "failed" };
        app.locals.state = { ...current, pins: new Map([...current.pins, [cid, updated]]) };
      }
    } finally {
      busy = false;
    }
  }, 20);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** CIDs the service fetched and checked, in order. */
    checked,
    async close() {
      clearInterval(worker);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
