import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { IntegrityError, ProviderError } from "../../pipeline/errors.js";
import { createS3Client } from "../../pipeline/providers/s3/client.js";
import { type LocalS3, localS3Config, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { S3Provider } from "../../pipeline/providers/s3/provider.js";
import type { StoredObject } from "../../pipeline/providers/types.js";
import { findVerifiedCopy } from "../../pipeline/storage/verified-copy.js";
import { type SampleTrack, sampleTrack, tempDir } from "../support/ipfs-fixtures.js";

/**
 * The one search for a copy that `dcmx migrate` and `dcmx verify --repair` may send, against the embedded
 * S3 server (a real S3 API over loopback): which copy wins, and what an unusable one is reported as.
 */
describe("findVerifiedCopy (embedded S3)", function () {
  this.timeout(60_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let s3: LocalS3;
  let provider: S3Provider;
  let track: SampleTrack;
  let stored: StoredObject;

  beforeEach(async () => {
    dir = await tempDir();
    s3 = await startLocalS3({ directory: join(dir.path, "s3") });
    provider = new S3Provider(localS3Config(s3), { retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 } });
    track = await sampleTrack(dir.path, 300_000);
    stored = await provider.put(track.request);
  });
  afterEach(async () => {
    await provider.close();
    await s3.stop();
    await dir.remove();
  });

  const find = (localPath?: string) =>
    findVerifiedCopy({
      want: track.address,
      localPath,
      candidates: [{ provider, object: stored }],
      scratchDir: join(dir.path, "scratch"),
      label: "track-1.mp3",
    });

  it("uses the local file while it hashes to the record, else a provider's copy checked in the scratch folder", async () => {
    const local = await find(track.path);
    expect(local.from).to.equal("local");
    expect(local.address).to.deep.equal(track.address);

    // Same size, one byte changed: the local file no longer counts.
    const changed = Uint8Array.from(track.bytes);
    changed[1000]! ^= 1;
    await writeFile(track.path, changed);
    const remote = await find(track.path);
    expect(remote.from).to.equal(provider.name);
    expect(remote.address).to.deep.equal(track.address);
    expect(remote.source).to.have.property("path").that.includes(join(dir.path, "scratch"));
    await remote.release();
    expect(await readdir(join(dir.path, "scratch"))).to.deep.equal([]);
  });

  it("is an IntegrityError naming every answer when the local file is gone and the provider serves other bytes", async () => {
    await rm(track.path);
    const client = createS3Client(localS3Config(s3));
    const bytes = Uint8Array.from(track.bytes);
    bytes[5]! ^= 1;
    // Same key, size and metadata (the HEAD still matches): only reading the bytes shows the damage.
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.locator }));
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: stored.locator, Body: bytes, Metadata: head.Metadata }),
    );
    client.destroy();
    const error = await find(track.path).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message).to.include(`no verified copy of ${track.address.cid}`);
    expect((error as Error).message, (error as Error).message).to.include("local missing");
    expect((error as Error).message).to.include(`${provider.name} corrupt`);
    expect(await readdir(join(dir.path, "scratch"))).to.deep.equal([]);
  });

  it("is a retryable ProviderError when a provider that might hold it does not answer", async () => {
    await rm(track.path);
    await s3.stop();
    const error = await find(track.path).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderError);
    expect((error as ProviderError).retryable).to.equal(true);
    expect((error as Error).message).to.include(`${provider.name} unreachable`);
  });
});
