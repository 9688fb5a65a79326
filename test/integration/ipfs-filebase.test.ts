import { mkdir, readdir, writeFile } from "node:fs/promises";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { AuthError, IntegrityError, ProviderError } from "../../pipeline/errors.js";
import { FilebaseProvider } from "../../pipeline/providers/ipfs/filebase.js";
import { EmbeddedIpfsNode } from "../../pipeline/providers/ipfs/helia-node.js";
import { createS3Client } from "../../pipeline/providers/s3/client.js";
import { type SampleTrack, sampleTrack, tempDir } from "../support/ipfs-fixtures.js";
import { type FilebaseService, startFilebaseService } from "../support/ipfs-service/filebase.js";

const ACCESS_KEY = "FILEBASE-TEST-ACCESS-KEY";
const SECRET_KEY = "filebase-test-secret-key-0123456789";
const BUCKET = "dcmx-ipfs";
const KIB = 1024;

/** What `promise` rejects with; undefined when it resolves, so a type assertion on it then fails. */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("Filebase provider (contract test, stand-in)", function () {
  this.timeout(60_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: EmbeddedIpfsNode;
  let track: SampleTrack;
  let service: FilebaseService;

  beforeEach(async () => {
    dir = await tempDir();
    node = await new EmbeddedIpfsNode().start({ directory: `${dir.path}/repo` });
    // Two 1 MiB leaves and a dag-pb root: the CAR is a DAG, not a single block.
    track = await sampleTrack(dir.path, 1_200_000);
    service = await startFilebaseService({
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      bucket: BUCKET,
      minPartSize: 256 * KIB,
    });
  });
  afterEach(async () => {
    await service.close();
    await node.stop();
    await dir.remove();
  });

  function provider(
    options: {
      secretKey?: string;
      partSizeBytes?: number;
      readBackWindowMs?: number;
      minDelayMs?: number;
    } = {},
  ) {
    return new FilebaseProvider(node, {
      config: {
        accessKey: ACCESS_KEY,
        secretKey: options.secretKey ?? SECRET_KEY,
        bucket: BUCKET,
        endpoint: service.endpoint,
        gateway: service.gateway,
      },
      workDir: `${dir.path}/work`,
      partSizeBytes: options.partSizeBytes,
      readBackWindowMs: options.readBackWindowMs ?? 5_000,
      retry: { retries: 3, minDelayMs: options.minDelayMs ?? 1, maxDelayMs: 20 },
    });
  }

  const operations = () =>
    service.requests.map((r) => (r.partNumber ? `${r.operation} ${r.partNumber}` : r.operation));

  it("puts our CAR, which the service imports under our root; has, verify and url follow", async () => {
    // A CAR a killed run left behind.
    await mkdir(`${dir.path}/work/filebase`, { recursive: true });
    await writeFile(`${dir.path}/work/filebase/${track.address.cid}-left-by-a-killed-run.car`, "partial");
    const filebase = provider();
    const stored = await filebase.put(track.request);
    expect(stored).to.include({ provider: "filebase", cid: track.address.cid, reused: false });
    // The service computed the root itself from the CAR's blocks.
    expect(service.store.held(track.address.cid)).to.not.equal(undefined);
    expect(service.objects.get(`${track.address.cid}.car`)?.cid).to.equal(track.address.cid);
    expect(await filebase.has(stored)).to.equal(true);
    await filebase.verify(stored);
    expect(await filebase.url(stored)).to.equal(`${service.gateway}/ipfs/${track.address.cid}`);
    // Again: a HeadObject finds it, nothing is sent twice.
    expect((await filebase.put(track.request)).reused).to.equal(true);
    // The bucket is asked about once; each object with one HeadObject.
    expect(operations()).to.deep.equal(["head-bucket", "head", "put", "head", "head"]);
    // The CAR file it went up from is gone, and so is the one left behind.
    expect(await readdir(`${dir.path}/work/filebase`)).to.deep.equal([]);
    await filebase.close();
  });

  it("sends the documented request: path style, SigV4 in us-east-1, x-amz-meta-import: car, key <cid>.car", async () => {
    await provider().put(track.request);
    const put = service.requests.find((r) => r.operation === "put")!;
    expect(put.method).to.equal("PUT");
    expect(put.path).to.equal(`/${BUCKET}/${track.address.cid}.car`);
    expect(put.headers["x-amz-meta-import"]).to.equal("car");
    expect(put.headers["content-type"]).to.equal("application/vnd.ipld.car");
    expect(put.headers.authorization).to.match(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/\\d{8}/us-east-1/s3/aws4_request, ?SignedHeaders=`,
      ),
    );
    // The body is streamed from the CAR file, so it is not hashed ahead (no aws-chunked trailer either).
    expect(put.headers["x-amz-content-sha256"]).to.equal("UNSIGNED-PAYLOAD");
    // The stand-in answered with the CID on the PUT, so no HeadObject was needed to learn it.
    expect(operations()).to.deep.equal(["head-bucket", "head", "put"]);
  });

  it("uploads a large CAR in parts, learns the CID from HeadObject, and resends only the part that failed", async () => {
    // Part 2 is cut off after the service read some of it, as a dropped upload is.
    service.faults.next("part:2", { kind: "server-error", status: 503 });
    const filebase = provider({ partSizeBytes: 256 * KIB });
    const stored = await filebase.put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(service.faults.served).to.deep.equal(["part:2:server-error"]);
    const carParts = Math.ceil(service.objects.get(`${track.address.cid}.car`)!.size / (256 * KIB));
    expect(carParts).to.equal(5);
    expect(operations()).to.deep.equal([
      "head-bucket",
      "head",
      "create-multipart",
      "part 1",
      "part 2",
      "part 2",
      "part 3",
      "part 4",
      "part 5",
      "complete",
      "head",
    ]);
    expect(
      service.requests.find((r) => r.operation === "create-multipart")!.headers["x-amz-meta-import"],
    ).to.equal("car");
    await filebase.verify(stored);
  });

  it("retries 429 and 503 SlowDown, with and without Retry-After, and honours Retry-After", async () => {
    service.faults
      .next("head", { kind: "rate-limit", status: 503, retryAfter: 1 })
      .next("put", { kind: "rate-limit" }, { kind: "rate-limit", status: 503 }, { kind: "server-error" });
    const started = Date.now();
    const filebase = new FilebaseProvider(node, {
      config: {
        accessKey: ACCESS_KEY,
        secretKey: SECRET_KEY,
        bucket: BUCKET,
        endpoint: service.endpoint,
        gateway: service.gateway,
      },
      workDir: `${dir.path}/work`,
      readBackWindowMs: 5_000,
      retry: { retries: 4, minDelayMs: 1, maxDelayMs: 2_000 },
    });
    const stored = await filebase.put(track.request);
    expect(stored.cid).to.equal(track.address.cid);
    expect(Date.now() - started).to.be.greaterThan(950);
    expect(service.faults.served).to.deep.equal([
      "head:rate-limit",
      "put:rate-limit",
      "put:rate-limit",
      "put:server-error",
    ]);
    expect(operations()).to.deep.equal(["head-bucket", "head", "head", "put", "put", "put", "put"]);
  });

  it("refuses a wrong secret with SignatureDoesNotMatch: AuthError naming the keys, at once, secret not shown", async () => {
    const error = await failureOf(provider({ secretKey: "not-the-secret-key-9876" }).put(track.request));
    expect(error).to.be.instanceOf(AuthError);
    expect((error as AuthError).message)
      .to.contain("FILEBASE_ACCESS_KEY/FILEBASE_SECRET_KEY")
      .and.contain("HTTP 403")
      .and.not.contain("not-the-secret-key-9876");
    // The HeadObject was refused (a HEAD has no error body); nothing was retried or sent.
    expect(service.refused).to.deep.equal([`HEAD /${BUCKET}/ SignatureDoesNotMatch`]);
    expect(service.requests).to.deep.equal([]);
    // A PUT's refusal carries S3's code.
    service.faults.next("put", { kind: "auth" });
    const denied = await failureOf(provider().put(track.request));
    expect(denied).to.be.instanceOf(AuthError);
    expect((denied as Error).message)
      .to.contain("AccessDenied")
      .and.contain(`bucket "${BUCKET}"`);
    expect(service.faults.served).to.deep.equal(["put:auth"]);
  });

  it("reports a used-up plan as a permanent quota error, not as bad keys", async () => {
    service.faults.next("put", { kind: "quota" });
    const error = await failureOf(provider().put(track.request));
    expect(error).to.be.instanceOf(ProviderError).and.not.be.instanceOf(AuthError);
    expect(error).to.include({ code: "QUOTA", retryable: false, status: 403 });
    expect((error as Error).message)
      .to.contain("QuotaExceeded")
      .and.contain("plan");
    expect(service.faults.served).to.deep.equal(["put:quota"]);
    expect(operations()).to.deep.equal(["head-bucket", "head", "put"]);
  });

  it("fails with IntegrityError when the service reports another CID (single PUT and multipart)", async () => {
    service.faults.next("put", { kind: "wrong-cid" });
    const error = await failureOf(provider().put(track.request));
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message)
      .to.contain("filebase")
      .and.contain(track.address.cid);
    service.faults.next("complete", { kind: "wrong-cid" });
    const parted = await failureOf(provider({ partSizeBytes: 256 * KIB }).put(track.request));
    expect(parted).to.be.instanceOf(IntegrityError);
    expect(service.faults.served).to.deep.equal(["put:wrong-cid", "complete:wrong-cid"]);
  });

  it("waits out the gateway's 404s after an upload, and fails once the read-back window closes", async () => {
    service.store.invisibleMs = 1_200;
    const started = Date.now();
    // The read-back looks again with backoff from the base delay; 1 ms would give up within milliseconds.
    const stored = await provider({ minDelayMs: 250 }).put(track.request);
    expect(stored.reused).to.equal(false);
    expect(Date.now() - started).to.be.greaterThan(1_100);

    const other = await sampleTrack(dir.path, 3_000, 2);
    service.store.invisibleMs = 60_000;
    const error = await failureOf(provider({ readBackWindowMs: 400, minDelayMs: 250 }).put(other.request));
    expect(error).to.be.instanceOf(ProviderError);
    expect(error).to.include({ code: "NOT_FOUND", status: 404 });
  });

  it("detects tampered bytes on the gateway with IntegrityError", async () => {
    service.faults.next("gateway", { kind: "tamper" });
    const error = await failureOf(provider().put(track.request));
    expect(error).to.be.instanceOf(IntegrityError);
    expect(service.faults.served).to.deep.equal(["gateway:tamper"]);
  });

  it("names FILEBASE_BUCKET when the bucket does not exist", async () => {
    const filebase = new FilebaseProvider(node, {
      config: {
        accessKey: ACCESS_KEY,
        secretKey: SECRET_KEY,
        bucket: "no-such-bucket",
        endpoint: service.endpoint,
        gateway: service.gateway,
      },
      workDir: `${dir.path}/work`,
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 5 },
    });
    const error = await failureOf(filebase.put(track.request));
    expect(error).to.be.instanceOf(ProviderError);
    expect((error as ProviderError).field).to.equal("FILEBASE_BUCKET");
  });

  it("stand-in: bytes put without x-amz-meta-import: car get the service's own CID, not ours", async () => {
    const client = createS3Client({
      endpoint: service.endpoint,
      region: "us-east-1",
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
    });
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "plain.mp3", Body: track.bytes }));
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "plain.mp3" }));
      expect(head.Metadata?.cid).to.match(/^baf/).and.not.equal(track.address.cid);
    } finally {
      client.destroy();
    }
  });
});
