import { once } from "node:events";
import type { AddressInfo } from "node:net";
import mockPinningService from "mock-ipfs-pinning-service";

/**
 * An IPFS Pinning Service API that accepts every pin request and never pins anything: each pin stays
 * `queued` for ever, as a service that lost its queue or cannot reach the content would leave it.
 */
export async function startStuckPinningService(token: string) {
  const app = await mockPinningService.setup({ token });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
