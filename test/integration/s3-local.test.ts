/**
 * The embedded default's local S3 (s3rver in a child process). It does not check signatures, so
 * nothing about auth is tested here; test/integration/s3-rgw.test.ts covers that against Ceph RGW.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { type LocalS3, localS3Config, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { S3Provider } from "../../pipeline/providers/s3/provider.js";
import { readAll, writeFixture } from "../support/s3-fixtures.js";

describe("local S3 (s3rver child process)", function () {
  this.timeout(60_000);
  let dir: string;
  let local: LocalS3;
  let storj: S3Provider;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-s3-local-"));
    local = await startLocalS3({ directory: join(dir, "data") });
    storj = new S3Provider({ ...localS3Config(local), partSizeBytes: 5 * 1024 * 1024 });
  });

  after(async () => {
    await storj?.close();
    await local?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores, dedupes and reads back single-part and multipart files, telling the bytes sent", async () => {
    for (const size of [1000, 6 * 1024 * 1024]) {
      const fixture = await writeFixture(dir, `track-${size}.flac`, size);
      let sent = 0;
      const request = {
        kind: "audio" as const,
        source: { path: fixture.path },
        address: fixture.address,
        mimeType: "audio/flac",
        extension: ".flac",
        onSent: (bytes: number) => {
          sent += bytes;
        },
      };
      const stored = await storj.put(request);
      expect(stored.reused).to.equal(false);
      expect(sent).to.equal(size);
      expect(await readAll(await storj.get(stored))).to.deep.equal(fixture.bytes);
      await storj.verify(stored);
      expect((await storj.put(request)).reused).to.equal(true);
      expect(sent, "nothing sent for an object already there").to.equal(size);
    }
  });

  it("lists past the first page (needs the legacy OpenSSL provider in the child)", async () => {
    const raw = new S3Client({
      endpoint: local.endpoint,
      region: local.region,
      forcePathStyle: true,
      credentials: { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey },
    });
    const before = await storj.stats();
    const count = 1001;
    for (let start = 0; start < count; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, (_, i) =>
          raw.send(
            new PutObjectCommand({ Bucket: local.bucket, Key: `metadata/${start + i}.json`, Body: "{}" }),
          ),
        ),
      );
    }
    raw.destroy();
    const after = await storj.stats();
    expect(after.objects).to.equal(before.objects + count);
    expect(after.bytes).to.equal(before.bytes + 2 * count);
  });

  it("stops its process", async () => {
    const probe = new S3Provider(localS3Config(local), { retry: { retries: 0 } });
    await local.stop();
    const error = await probe.stats().catch((e: unknown) => e);
    await probe.close();
    expect((error as Error).message).to.match(/could not be reached/);
  });
});
