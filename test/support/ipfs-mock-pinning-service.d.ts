// The package's "types" field points at a file it does not ship (dist/indx.d.ts); this is the part we use.
declare module "mock-ipfs-pinning-service" {
  import type { Server } from "node:http";

  interface App {
    listen(port: number, host: string): Server;
    locals: { state: unknown };
  }
  const service: { setup(options: { token?: string }): Promise<App> };
  export default service;
}
