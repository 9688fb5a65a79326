/**
 * The S3 provider against Ceph RGW: a production S3 server with real SigV4 checks, started once for
 * this file on loopback (see test/support/ceph-rgw.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { network } from "hardhat";
import { checkStorj } from "../../pipeline/commands/doctor/provider-checks.js";
import { billedSize } from "../../pipeline/cost/monthly-cost.js";
import { PUBLISHED_PRICES } from "../../pipeline/cost/prices.js";
import { AbortedError, AuthError, IntegrityError, ProviderError, QuotaError } from "../../pipeline/errors.js";
import { loadStorjConfig, type S3ProviderConfig } from "../../pipeline/providers/s3/config.js";
import { EtagHasher } from "../../pipeline/providers/s3/etag.js";
import { S3Provider, type S3ProviderOptions } from "../../pipeline/providers/s3/provider.js";
import type { PutRequest } from "../../pipeline/providers/types.js";
import { type CephRgw, startCephRgw } from "../support/ceph-rgw.js";
import {
  type FaultAction,
  type FaultProxy,
  slowDown,
  startFaultProxy,
  storjLimit,
} from "../support/fault-proxy.js";
import { runInProcess } from "../support/fault-run.js";
import { generateLibrary } from "../support/library-generator.js";
import { type Fixture, readAll, writeFixture } from "../support/s3-fixtures.js";

const MIB = 1024 * 1024;

function etagOf(bytes: Buffer, multipart: boolean): string {
  const hasher = new EtagHasher(5 * MIB, multipart);
  hasher.update(bytes);
  return hasher.etag();
}
const FAST_RETRY = { minDelayMs: 50, maxDelayMs: 200, retries: 2 };

describe("S3 provider on Ceph RGW", function () {
  this.timeout(120_000);
  let rgw: CephRgw;
  let dir: string;
  const providers: S3Provider[] = [];

  before(async function () {
    this.timeout(180_000);
    [rgw, dir] = await Promise.all([startCephRgw(), mkdtemp(join(tmpdir(), "dcmx-s3-rgw-"))]);
  });

  after(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await rgw?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Configured the way users configure it: from STORJ_* variables. */
  function storjConfig(bucket: string, env: Record<string, string> = {}): S3ProviderConfig {
    const config = loadStorjConfig({
      STORJ_ACCESS_KEY: rgw.accessKeyId,
      STORJ_SECRET_KEY: rgw.secretAccessKey,
      STORJ_BUCKET: bucket,
      STORJ_ENDPOINT: rgw.endpoint,
      STORJ_PART_SIZE_MB: "5",
      ...env,
    });
    if (config === undefined) throw new Error("test setup: keys were not read");
    return config;
  }

  function provider(config: S3ProviderConfig, retry: S3ProviderOptions["retry"] = FAST_RETRY): S3Provider {
    const p = new S3Provider(config, { retry });
    providers.push(p);
    return p;
  }

  function rawClient(endpoint = rgw.endpoint): S3Client {
    return new S3Client({
      endpoint,
      region: rgw.region,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    });
  }

  function request(fixture: Fixture, meta?: Record<string, string>): PutRequest {
    return {
      kind: "audio",
      source: { path: fixture.path },
      address: fixture.address,
      mimeType: "audio/mpeg",
      extension: ".mp3",
      meta,
    };
  }

  describe("uploads", () => {
    let storj: S3Provider;
    let small: Fixture;
    let large: Fixture;
    const bucket = "dcmx-uploads";

    before(async () => {
      storj = provider(storjConfig(bucket));
      [small, large] = await Promise.all([
        writeFixture(dir, "small.mp3", 300 * 1024),
        writeFixture(dir, "large.mp3", 11 * MIB + 123),
      ]);
    });

    it("creates the missing bucket on first use and stores a small file in one PUT, byte-exact", async () => {
      const raw = rawClient();
      const missing = await raw.send(new HeadBucketCommand({ Bucket: bucket })).catch((e: unknown) => e);
      expect((missing as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).to.equal(404);

      const stored = await storj.put(request(small));
      expect(stored).to.include({ provider: "storj", reused: false, size: small.bytes.length });
      expect(stored.locator).to.equal(`audio/${small.address.sha256}.mp3`);
      expect(await readAll(await storj.get(stored))).to.deep.equal(small.bytes);
      await storj.verify(stored);
      expect(await storj.has(stored)).to.equal(true);
      const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: stored.locator }));
      expect(head.ETag).to.equal(etagOf(small.bytes, false));
      raw.destroy();
    });

    it("uploads a large file in at least 3 multipart parts and reads it back byte-exact", async () => {
      const stored = await storj.put(request(large));
      const head = await storj.head(stored.locator);
      // RGW follows the multipart ETag rule (so verify can take its fast path): 11 MiB in 5 MiB parts is 3 parts.
      expect(head?.etag).to.equal(etagOf(large.bytes, true)).and.match(/-3"$/);
      expect(head?.size).to.equal(large.bytes.length);
      expect(await readAll(await storj.get(stored))).to.deep.equal(large.bytes);
      await storj.verify(stored);
    });

    it("skips the second upload of the same bytes", async () => {
      const first = await storj.head(`audio/${large.address.sha256}.mp3`);
      await sleep(1100); // Last-Modified has one-second resolution.
      const again = await storj.put(request(large));
      expect(again.reused).to.equal(true);
      const after = await storj.head(again.locator);
      expect(after?.etag).to.equal(first?.etag);
    });

    it("round-trips metadata, including non-ASCII tags", async () => {
      const tagged = await writeFixture(dir, "tagged.mp3", 1024);
      const meta = { title: "Café del Mar — Ünïcode", artist: "Björk", album: "Homogenic" };
      const stored = await storj.put(request(tagged, meta));
      const head = await storj.head(stored.locator);
      expect(head?.contentType).to.equal("audio/mpeg");
      expect(head?.metadata).to.deep.equal({
        ...meta,
        kind: "audio",
        sha256: tagged.address.sha256,
        cid: tagged.address.cid,
      });
    });

    it("keeps 600-character CJK and emoji tags under Storj's 2 KiB metadata limit, so the upload works", async () => {
      // RGW takes larger metadata; a proxy refuses it as Storj's gateway does, so an oversized PUT fails here.
      const proxy = await startFaultProxy(rgw.endpoint, { keepHost: true });
      const sizes: number[] = [];
      proxy.setRule((req) => {
        if (req.method !== "PUT") return { kind: "forward" };
        const size = Object.entries(req.headers)
          .filter(([name]) => name.startsWith("x-amz-meta-"))
          .reduce((sum, [name, value]) => sum + name.length + String(value).length, 0);
        sizes.push(size);
        return size <= 2048
          ? { kind: "forward" }
          : {
              kind: "respond",
              status: 400,
              body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>MetadataTooLarge</Code><Message>Your metadata headers exceed the maximum allowed metadata size.</Message></Error>`,
            };
      });
      try {
        const storj = provider(storjConfig(bucket, { STORJ_ENDPOINT: proxy.url }));
        const tagged = await writeFixture(dir, "long-tags.mp3", 2048);
        const meta = {
          title: "東京の夜空に響く歌".repeat(67).slice(0, 600),
          artist: "👨‍👩‍👧‍👦".repeat(200),
          album: "初恋",
        };
        const stored = await storj.put(request(tagged, meta));
        expect(sizes.length).to.be.greaterThan(0);
        expect(Math.max(...sizes)).to.be.at.most(2048);
        const head = await storj.head(stored.locator);
        expect(head?.metadata).to.deep.include({
          kind: "audio",
          sha256: tagged.address.sha256,
          cid: tagged.address.cid,
          album: "初恋",
          truncated: "title,artist",
        });
        expect(meta.title.startsWith(head!.metadata.title!.slice(0, -1))).to.equal(true);
        expect(await readAll(await storj.get(stored))).to.deep.equal(tagged.bytes);
      } finally {
        await proxy.close();
      }
    });

    it("refuses a file that changed since it was addressed and leaves no object", async () => {
      const original = await writeFixture(dir, "changing.mp3", 64 * 1024);
      const changed = await writeFixture(dir, "changed.mp3", 64 * 1024);
      const error = await storj
        .put({ ...request(original), source: { path: changed.path } })
        .catch((e: unknown) => e);
      expect(error).to.be.instanceOf(IntegrityError);
      expect(await storj.head(`audio/${original.address.sha256}.mp3`)).to.equal(undefined);
    });

    it("refuses a large file that shrank since it was addressed at once, leaving no upload open", async function () {
      // A part cut short would leave its request waiting for the rest of its Content-Length until the
      // 120 s timeout, then again on every retry: it must fail as soon as the file ends.
      this.timeout(20_000);
      const original = await writeFixture(dir, "shrinking.mp3", 11 * MIB);
      const shrunk = await writeFixture(dir, "shrunk.mp3", 7 * MIB);
      const error = await storj
        .put({ ...request(original), source: { path: shrunk.path } })
        .catch((e: unknown) => e);
      expect(error).to.be.instanceOf(IntegrityError);
      expect((error as IntegrityError).message).to.include("the file ended early");
      expect(await storj.head(`audio/${original.address.sha256}.mp3`)).to.equal(undefined);
      const uploads = await rawClient().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      expect(uploads.Uploads ?? []).to.deep.equal([]);
    });

    it("aborts what a killed run left of an upload of the same file before uploading it again", async () => {
      const fixture = await writeFixture(dir, "left-behind.mp3", 11 * MIB + 3);
      const key = `audio/${fixture.address.sha256}.mp3`;
      await storj.stats(); // creates the bucket when this test runs alone
      const raw = rawClient();
      // What a run killed after its first part leaves: an open upload holding 5 MiB of billed parts.
      const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await raw.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: fixture.bytes.subarray(0, 5 * MIB),
        }),
      );
      const open = async () =>
        ((await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map(
          (u) => u.Key,
        );
      expect(await open()).to.deep.equal([key]);
      const stored = await storj.put(request(fixture));
      expect(await open()).to.deep.equal([]);
      expect(await readAll(await storj.get(stored))).to.deep.equal(fixture.bytes);
      raw.destroy();
    });

    it("reads back a corrupt object as an IntegrityError", async () => {
      const victim = await writeFixture(dir, "victim.mp3", 4096);
      const stored = await storj.put(request(victim));
      const raw = rawClient();
      const corrupt = Buffer.from(victim.bytes);
      corrupt[100] ^= 0xff;
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: stored.locator, Body: corrupt }));
      raw.destroy();
      const error = await storj.verify(stored).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(IntegrityError);
      expect(await storj.has(stored)).to.equal(false);
    });
  });

  it("counts every object over more than one listing page, and the bytes as Storj bills them", async () => {
    const bucket = "dcmx-many";
    const storj = provider(storjConfig(bucket));
    const empty = await storj.stats();
    expect(empty).to.include({ objects: 0, bytes: 0 });
    const raw = rawClient();
    const count = 1003;
    for (let start = 0; start < count; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, (_, i) =>
          raw.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `art/${start + i}.txt`,
              Body: "x".repeat(start + i + 1),
            }),
          ),
        ),
      );
    }
    raw.destroy();
    const stats = await storj.stats();
    expect(stats.objects).to.equal(count);
    expect(stats.bytes).to.equal((count * (count + 1)) / 2);
    // Every object here is under Storj's 50 kB minimum billed object size.
    expect(stats.billedBytes).to.equal(stats.bytes);
    const billed = await storj.stats({ billedSize: billedSize(PUBLISHED_PRICES.storj) });
    expect(billed).to.include({ objects: count, bytes: stats.bytes, billedBytes: count * 50_000 });
  });

  describe("URLs", () => {
    let storj: S3Provider;
    let fixture: Fixture;
    let stored: Awaited<ReturnType<S3Provider["put"]>>;

    before(async () => {
      storj = provider(storjConfig("dcmx-urls"));
      fixture = await writeFixture(dir, "url.mp3", 2048);
      stored = await storj.put(request(fixture));
    });

    it("serves the bytes through a signed URL and refuses an unsigned one", async () => {
      const url = await storj.url(stored);
      expect(url).to.include("X-Amz-Signature=");
      const response = await fetch(url);
      expect(response.status).to.equal(200);
      expect(Buffer.from(await response.arrayBuffer())).to.deep.equal(fixture.bytes);
      expect((await fetch(url.split("?")[0]!)).status).to.equal(403);
    });

    it("refuses a tampered signed URL", async () => {
      const url = new URL(await storj.url(stored));
      const signature = url.searchParams.get("X-Amz-Signature")!;
      url.searchParams.set(
        "X-Amz-Signature",
        `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`,
      );
      expect((await fetch(url)).status).to.equal(403);
      const otherKey = new URL(await storj.url(stored));
      otherKey.pathname = otherKey.pathname.replace(".mp3", ".wav");
      expect((await fetch(otherKey)).status).to.equal(403);
    });

    it("refuses an expired signed URL", async () => {
      const url = await storj.url(stored, { expiresInSeconds: 1 });
      await sleep(2100);
      expect((await fetch(url)).status).to.equal(403);
    });

    it("gives the public gateway form when the bucket is shared", async () => {
      const shared = provider(
        storjConfig("dcmx-urls", {
          STORJ_PUBLIC_URL: "https://link.storjshare.io/raw/jx-example/dcmx-urls/",
        }),
      );
      expect(await shared.url(stored)).to.equal(
        `https://link.storjshare.io/raw/jx-example/dcmx-urls/${stored.locator}`,
      );
    });
  });

  describe("failures", () => {
    it("fails fast with an AuthError that names the variables, not the secret, on a wrong secret", async () => {
      const wrongSecret = "wrong-secret-value-123456";
      let retries = 0;
      const storj = provider(storjConfig("dcmx-auth", { STORJ_SECRET_KEY: wrongSecret }), {
        ...FAST_RETRY,
        onRetry: () => retries++,
      });
      const fixture = await writeFixture(dir, "auth.mp3", 100);
      const error = await storj.put(request(fixture)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(AuthError);
      const message = (error as Error).message;
      expect(message).to.include("STORJ_SECRET_KEY").and.include("HTTP 403");
      expect(message).to.not.include(wrongSecret);
      expect(retries).to.equal(0);
    });

    it("dcmx doctor: a secret RGW refuses fails the Storj check, the right one passes, neither is printed", async () => {
      const wrongSecret = "doctor-wrong-secret-5512";
      const env = (secret: string) => ({
        STORJ_ACCESS_KEY: rgw.accessKeyId,
        STORJ_SECRET_KEY: secret,
        STORJ_BUCKET: "dcmx-doctor",
        STORJ_ENDPOINT: rgw.endpoint,
      });
      const refused = await checkStorj(env(wrongSecret));
      expect(refused).to.include({ check: "provider storj", status: "fail" });
      expect(refused.message).to.match(/^credentials refused/);
      expect(refused.fix).to.include("STORJ_SECRET_KEY");
      expect(JSON.stringify(refused)).to.not.include(wrongSecret);

      const accepted = await checkStorj(env(rgw.secretAccessKey));
      expect(accepted).to.include({ check: "provider storj", status: "ok" });
      expect(JSON.stringify(accepted)).to.not.include(rgw.secretAccessKey);
    });

    it("says clearly when a missing bucket cannot be created", async () => {
      const storj = provider({ ...storjConfig("dcmx-unused"), bucket: "Invalid_Bucket_Name" });
      const fixture = await writeFixture(dir, "bucket.mp3", 100);
      const error = await storj.put(request(fixture)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ProviderError);
      expect((error as Error).message).to.include(
        'bucket "Invalid_Bucket_Name" does not exist and could not be created',
      );
      expect((error as ProviderError).retryable).to.equal(false);
    });

    describe("Storj project limits (Storj's 403 answers injected in front of RGW)", () => {
      let proxy: FaultProxy;
      afterEach(() => proxy?.close());

      /** A provider whose requests go through a proxy that answers `method` requests to objects with `fault`. */
      async function limited(bucket: string, method: string, fault: FaultAction) {
        await provider(storjConfig(bucket)).stats(); // creates the bucket before the proxy starts refusing
        proxy = await startFaultProxy(rgw.endpoint, { keepHost: true });
        proxy.setRule((req) =>
          req.method === method && req.url.startsWith(`/${bucket}/`) ? fault : { kind: "forward" },
        );
        return { STORJ_ENDPOINT: proxy.url, STORJ_BUCKET: bucket };
      }

      it("an upload refused with StorageLimitExceeded is a QuotaError naming the limit, not retried", async () => {
        const env = await limited("dcmx-limit-put", "PUT", storjLimit("StorageLimitExceeded"));
        let retries = 0;
        const storj = provider(storjConfig(env.STORJ_BUCKET, env), {
          ...FAST_RETRY,
          onRetry: () => retries++,
        });
        const error = await storj.put(request(await writeFixture(dir, "limit.mp3", 1000))).catch((e) => e);
        expect(error).to.be.instanceOf(QuotaError);
        expect((error as QuotaError).limit).to.equal("storage");
        expect((error as Error).message)
          .to.include("storage limit is reached")
          .and.include("upgrade the account to Pro");
        expect(retries).to.equal(0);
      });

      it("through the pipeline: the tracks wait for the next run with the limit and its fix as the reason", async () => {
        const env = await limited("dcmx-limit-run", "PUT", storjLimit("SegmentsLimitExceeded"));
        await generateLibrary(join(dir, "limit-run"), 2, { prefix: "limit" });
        const { report, lines } = await runInProcess(await network.create(), {
          DCMX_LIBRARY: join(dir, "limit-run", "library"),
          DCMX_WORKDIR: join(dir, "limit-run", "work"),
          DCMX_REQUIRE: "storj,ipfs",
          STORJ_ACCESS_KEY: rgw.accessKeyId,
          STORJ_SECRET_KEY: rgw.secretAccessKey,
          ...env,
        });
        expect(report.tracks.map((t) => t.status)).to.deep.equal(["pending", "pending"]);
        for (const track of report.tracks) {
          expect(track.error).to.match(
            /^audio: storj: PUT audio\/[0-9a-f]{64}\.\w+ failed: SegmentsLimitExceeded/,
          );
          expect(track.error).to.include("segment limit is reached").and.include("STORJ_PART_SIZE_MB");
          expect(track.error).to.not.include("credentials");
        }
        expect(proxy.log.filter((r) => r.action === "respond").length, "one refusal per track").to.equal(2);
        expect(lines.join("\n")).to.not.include(rgw.secretAccessKey);
      });

      it("dcmx doctor names the limit its probe meets: storage on the write, egress on the read-back", async () => {
        const keys = { STORJ_ACCESS_KEY: rgw.accessKeyId, STORJ_SECRET_KEY: rgw.secretAccessKey };
        const full = await checkStorj({
          ...keys,
          ...(await limited("dcmx-limit-doc", "PUT", storjLimit("StorageLimitExceeded"))),
        });
        expect(full).to.include({ check: "provider storj", status: "fail" });
        expect(full.message).to.match(
          /^storage limit reached: storj: PUT dcmx-doctor-probe failed: StorageLimitExceeded/,
        );
        expect(full.fix).to.include("request a limit increase");
        await proxy.close();

        const egress = await checkStorj({
          ...keys,
          ...(await limited("dcmx-limit-doc", "GET", storjLimit("BandwidthLimitExceeded"))),
        });
        expect(egress.message).to.match(
          /^egress limit reached: storj: GET dcmx-doctor-probe failed: BandwidthLimitExceeded/,
        );
        expect(JSON.stringify([full, egress])).to.not.include(rgw.secretAccessKey);
      });
    });

    describe("a multipart upload meets a faulty answer", () => {
      let proxy: FaultProxy;
      afterEach(() => proxy?.close());

      /** An 11 MiB file (3 parts of 5 MiB) for `bucket`, uploaded through a fault proxy that applies `fault` to part 2. */
      async function faultyPartTwo(
        bucket: string,
        fault: () => FaultAction | undefined,
        retry?: S3ProviderOptions["retry"],
      ) {
        const fixture = await writeFixture(dir, `${bucket}.mp3`, 11 * MIB + 7);
        proxy = await startFaultProxy(rgw.endpoint, { keepHost: true });
        proxy.setRule(
          (req) =>
            (req.method === "PUT" && req.url.includes("partNumber=2&") && fault()) || { kind: "forward" },
        );
        const storj = provider(storjConfig(bucket, { STORJ_ENDPOINT: proxy.url }), retry);
        const requests = (method: string, part = "") =>
          proxy.log.filter((r) => r.method === method && r.url.includes(part)).length;
        const openUploads = async () =>
          (await rawClient().send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
        return { fixture, storj, requests, openUploads };
      }

      it("a part refused with 503 SlowDown is sent again on its own, and the file is stored byte-exact", async () => {
        let refused = 0;
        const { fixture, storj, requests, openUploads } = await faultyPartTwo("dcmx-part-503", () =>
          refused++ === 0 ? slowDown() : undefined,
        );
        const stored = await storj.put(request(fixture));
        // One multipart upload, never aborted: part 2 twice, the others once.
        expect(requests("POST", "?uploads=")).to.equal(1);
        expect(requests("DELETE")).to.equal(0);
        expect([1, 2, 3].map((n) => requests("PUT", `partNumber=${n}&`))).to.deep.equal([1, 2, 1]);
        expect(await readAll(await storj.get(stored))).to.deep.equal(fixture.bytes);
        await storj.verify(stored);
        expect(await openUploads()).to.deep.equal([]);
      });

      it("a part refused until its retries are used up aborts the upload and is not retried as a whole file", async () => {
        const { fixture, storj, requests, openUploads } = await faultyPartTwo("dcmx-part-down", slowDown);
        const error = await storj.put(request(fixture)).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(ProviderError);
        expect((error as ProviderError).retryable).to.equal(true);
        expect(requests("PUT", "partNumber=2&"), "the part's own attempts only").to.equal(
          FAST_RETRY.retries + 1,
        );
        expect(requests("DELETE", "uploadId=")).to.equal(1);
        expect(await openUploads()).to.deep.equal([]);
      });

      it("a part stored with a flipped byte is caught before the file counts as stored", async () => {
        const { fixture, storj } = await faultyPartTwo(
          "dcmx-part-tampered",
          () => ({ kind: "tamper", what: "request" }),
          { retries: 0 },
        );
        const error = await storj.put(request(fixture)).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(IntegrityError);
        expect((error as IntegrityError).message).to.include("does not hold the bytes sent");
      });
    });

    describe("the server is killed mid-upload", () => {
      let proxy: TripwireProxy;
      let fixture: Fixture;

      before(async () => {
        fixture = await writeFixture(dir, "killed.mp3", 16 * MIB);
      });
      afterEach(async () => {
        proxy?.close();
        await rgw.startGateway().catch(() => undefined);
      });

      it("fails cleanly with a retryable error and leaves no object when retries are off", async () => {
        proxy = await tripwireProxy(rgw, 7 * MIB);
        const storj = provider(storjConfig("dcmx-killed", { STORJ_ENDPOINT: proxy.endpoint }), {
          retries: 0,
          minDelayMs: 1,
          maxDelayMs: 1,
        });
        await storj.stats(); // creates the bucket before the proxy starts counting upload bytes
        proxy.arm(() => void rgw.killGateway());
        const error = await storj.put(request(fixture)).catch((e: unknown) => e);
        expect(proxy.tripped, String(error)).to.equal(true);
        expect(error).to.be.instanceOf(ProviderError);
        expect((error as ProviderError).retryable).to.equal(true);
        await rgw.startGateway();
        const direct = provider(storjConfig("dcmx-killed"));
        expect(await direct.head(`audio/${fixture.address.sha256}.mp3`)).to.equal(undefined);
      });

      it("retries with backoff until the restarted server takes the whole file", async () => {
        proxy = await tripwireProxy(rgw, 7 * MIB);
        const retried: number[] = [];
        const storj = provider(storjConfig("dcmx-killed", { STORJ_ENDPOINT: proxy.endpoint }), {
          retries: 8,
          minDelayMs: 200,
          maxDelayMs: 1000,
          onRetry: (_e: unknown, attempt: number) => retried.push(attempt),
        });
        let restarted: Promise<void> | undefined;
        proxy.arm(() => {
          restarted = rgw
            .killGateway()
            .then(() => sleep(1500))
            .then(() => rgw.startGateway());
        });
        const stored = await storj.put(request(fixture));
        await restarted;
        expect(proxy.tripped).to.equal(true);
        expect(retried.length).to.be.greaterThan(0);
        expect(stored.reused).to.equal(false);
        await storj.verify(stored);
      });
    });

    describe("the upload is cancelled midway (Ctrl-C)", () => {
      let proxy: TripwireProxy;
      afterEach(() => proxy?.close());

      for (const [shape, size] of [
        ["a multipart upload is aborted, leaving no parts behind", 16 * MIB],
        ["a single PUT stops, leaving no object", 4 * MIB],
      ] as const) {
        it(`${shape}`, async () => {
          const bucket = `dcmx-cancel-${size}`;
          const fixture = await writeFixture(dir, `cancel-${size}.mp3`, size);
          proxy = await tripwireProxy(rgw, size / 2);
          const storj = provider(storjConfig(bucket, { STORJ_ENDPOINT: proxy.endpoint }));
          await storj.stats(); // creates the bucket before the proxy starts counting upload bytes
          const cancel = new AbortController();
          proxy.arm(() => cancel.abort());
          const error = await storj
            .put({ ...request(fixture), signal: cancel.signal })
            .catch((e: unknown) => e);
          expect(proxy.tripped).to.equal(true);
          expect(error).to.be.instanceOf(AbortedError);

          const direct = provider(storjConfig(bucket));
          expect(await direct.head(`audio/${fixture.address.sha256}.mp3`)).to.equal(undefined);
          // Storj bills stored parts of unfinished uploads: none may be left.
          const uploads = await rawClient().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
          expect(uploads.Uploads ?? []).to.deep.equal([]);
        });
      }
    });
  });
});

interface TripwireProxy {
  endpoint: string;
  tripped: boolean;
  /** From now on, count upload bytes and call `onTrip` once `afterBytes` have passed. */
  arm(onTrip: () => void): void;
  close(): void;
}

/**
 * A loopback TCP relay in front of RGW that acts (kills the gateway, cancels the upload) once a given
 * number of request bytes went through, so it lands mid-upload every time instead of by timing luck.
 */
async function tripwireProxy(rgw: CephRgw, afterBytes: number): Promise<TripwireProxy> {
  const target = new URL(rgw.endpoint);
  const sockets = new Set<Socket>();
  let onTrip: (() => void) | undefined;
  let seen = 0;
  const state: TripwireProxy = {
    endpoint: "",
    tripped: false,
    arm(callback) {
      onTrip = callback;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      if (onTrip === undefined) return;
      seen += chunk.length;
      if (!state.tripped && seen >= afterBytes) {
        state.tripped = true;
        onTrip();
      }
    });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return state;
}
