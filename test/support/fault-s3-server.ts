/**
 * Child-process entry of the test S3 server with credentials of our choosing: the embedded local S3
 * (pipeline/providers/s3/local-s3-server.ts, which reads the same JSON argument) with one more key pair
 * registered first, so requests signed with keys a test can recognise anywhere they leak are accepted.
 */
import { createRequire } from "node:module";
import { z } from "zod";

const { accessKeyId, secretAccessKey } = z
  .object({ accessKeyId: z.string(), secretAccessKey: z.string() })
  .parse(JSON.parse(process.argv[2] ?? "{}"));
const accounts = createRequire(import.meta.url)("s3rver/lib/models/account.js") as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};
accounts.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
await import("../../pipeline/providers/s3/local-s3-server.js");
