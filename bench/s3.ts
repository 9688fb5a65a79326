/**
 * Overhead of the S3 provider over a bare lib-storage `Upload` loop. Both upload the same 200 MB of
 * seeded files (20 × 10 MB, the size of a long MP3) to the same local S3 (the embedded s3rver) at the
 * same file concurrency and part size:
 *   (a) bare:     `new Upload({ Body: createReadStream(file) }).done()` per file;
 *   (b) provider: `put` (HEAD, streaming upload hashed by the content guard, HEAD check) then `verify`
 *                 (full read-back and SHA-256) per file.
 * Addresses are computed before timing: that is the content stage's work, done once per run anyway.
 * Each side runs five rounds, alternating, into fresh keys; the best round of each counts.
 * `--small` uses 4 × 2 MB for a quick check. The last line is `s3-overhead-ratio <R>` = (b) / (a).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import pLimit from "p-limit";
import type { ContentAddress } from "../pipeline/content/types.js";
import { localS3Config, startLocalS3 } from "../pipeline/providers/s3/local-s3.js";
import { S3Provider } from "../pipeline/providers/s3/provider.js";
import { writeSeededFile } from "../test/support/seeded-bytes.js";

const MB = 1_000_000;
const small = process.argv.includes("--small");
const FILES = small ? 4 : 20;
const FILE_SIZE = (small ? 2 : 10) * MB;
const CONCURRENCY = 5; // MAX_CONCURRENT_UPLOADS' default
const PART_SIZE = 16 * 1024 * 1024;
const ROUNDS = 5;
const OUT = join(import.meta.dirname, ".out", "s3");

interface BenchFile {
  path: string;
  address: ContentAddress;
}

async function makeFiles(): Promise<BenchFile[]> {
  await mkdir(OUT, { recursive: true });
  const files: BenchFile[] = [];
  for (let i = 0; i < FILES; i++) {
    const path = join(OUT, `track-${i}.mp3`);
    if ((await stat(path).catch(() => undefined))?.size !== FILE_SIZE) {
      await writeSeededFile(path, `s3-bench-${i}`, FILE_SIZE);
    }
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(path)) hash.update(chunk);
    const sha256 = hash.digest("hex");
    files.push({
      path,
      address: { size: FILE_SIZE, sha256, cid: `bafybench${i}`, profile: "unixfs-v1-2025" },
    });
  }
  return files;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

const local = await startLocalS3({ directory: join(OUT, "server") });
try {
  const files = await makeFiles();
  const client = new S3Client({
    endpoint: local.endpoint,
    region: local.region,
    forcePathStyle: true,
    credentials: { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const limit = pLimit(CONCURRENCY);
  const bare = (round: number) =>
    Promise.all(
      files.map((file, i) =>
        limit(() =>
          new Upload({
            client,
            params: {
              Bucket: local.bucket,
              Key: `bare/${round}/${i}.mp3`,
              Body: createReadStream(file.path),
            },
            partSize: PART_SIZE,
            queueSize: 4,
          }).done(),
        ),
      ),
    );
  const viaProvider = async (round: number) => {
    // A bucket per round, so every round really uploads instead of finding the last round's objects.
    const provider = new S3Provider({
      ...localS3Config(local),
      bucket: `bench-${round}`,
      partSizeBytes: PART_SIZE,
    });
    await Promise.all(
      files.map((file) =>
        limit(async () => {
          const stored = await provider.put({
            kind: "audio",
            source: { path: file.path },
            address: file.address,
            mimeType: "audio/mpeg",
            extension: ".mp3",
          });
          await provider.verify(stored);
        }),
      ),
    );
    await provider.close();
  };
  const times = { bare: [] as number[], provider: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    times.bare.push(await timed(() => bare(round)));
    times.provider.push(await timed(() => viaProvider(round)));
  }
  client.destroy();
  const mb = (FILES * FILE_SIZE) / MB;
  const a = Math.min(...times.bare);
  const b = Math.min(...times.provider);
  const rounds = (list: number[]) => list.map((s) => s.toFixed(2)).join(" ");
  console.log(`files ${FILES} × ${FILE_SIZE / MB} MB = ${mb} MB, concurrency ${CONCURRENCY}, server s3rver`);
  console.log(
    `(a) bare lib-storage Upload:  rounds ${rounds(times.bare)} s, best ${(mb / a).toFixed(1)} MB/s`,
  );
  console.log(
    `(b) provider put + verify:    rounds ${rounds(times.provider)} s, best ${(mb / b).toFixed(1)} MB/s`,
  );
  console.log(`s3-overhead-ratio ${(b / a).toFixed(3)}`);
} finally {
  await local.stop();
  await rm(join(OUT, "server"), { recursive: true, force: true });
}
