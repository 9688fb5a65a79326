import { fork } from "node:child_process";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("./fault-s3-server.ts", import.meta.url));

export interface KeyedS3 {
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

/** A local S3 server (s3rver, in a child process) that knows the given access key, so a run can use it. */
export async function startKeyedS3(options: {
  directory: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}): Promise<KeyedS3> {
  await mkdir(options.directory, { recursive: true });
  const child = fork(ENTRY, [JSON.stringify({ ...options, port: 0 })], {
    execArgv: ["--openssl-legacy-provider", "--import", import.meta.resolve("tsx")],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(() => {
      throw new Error("the test S3 server exited before listening");
    }),
  ])) as [{ port: number }];
  return {
    endpoint: `http://127.0.0.1:${message.port}`,
    bucket: options.bucket,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}
