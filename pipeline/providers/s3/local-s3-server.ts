/**
 * Child-process entry for the embedded local S3 (s3rver). It runs in its own Node with
 * --openssl-legacy-provider because s3rver encrypts listing continuation tokens with DES, which
 * OpenSSL 3 only offers through the legacy provider; the option cannot be turned on after start-up,
 * so it cannot live in the pipeline's own process.
 */
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { z } from "zod";

const ArgsSchema = z.object({ directory: z.string(), port: z.number().int(), bucket: z.string() });

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)("s3rver") as S3rverClass;

const args = ArgsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
const server = new S3rver({
  address: "127.0.0.1",
  port: args.port,
  directory: args.directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: args.bucket }],
});
const { port } = await server.run();
process.send?.({ port });

// The parent closes the IPC channel when it stops us or dies: never outlive it.
process.on("disconnect", () => {
  void server.close().finally(() => process.exit(0));
});
