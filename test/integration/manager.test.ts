import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { metadataCid } from "../../pipeline/content/metadata-cid.js";
import { AuthError, ConfigError } from "../../pipeline/errors.js";
import { openLedger } from "../../pipeline/ledger/ledger.js";
import type { RecordOf } from "../../pipeline/ledger/records.js";
import { DecentralizedStorageManager } from "../../pipeline/manager.js";
import { encodeMetadata } from "../../pipeline/metadata/encode.js";
import { RunEvents } from "../../pipeline/report/events.js";
import { runKey } from "../../pipeline/run/run-pipeline.js";
import { uploadMusicLibrary } from "../../pipeline/upload-music-library.js";

const LIBRARY = new URL("../../examples/library/", import.meta.url).pathname;
const TRACK = "02 Drift.flac";

type Env = Record<string, string | undefined>;

/** A library of one track and the cover beside it, the same files for the manager and for a run. */
async function oneTrackLibrary(dir: string): Promise<string> {
  const library = join(dir, "library");
  await mkdir(library, { recursive: true });
  for (const name of [TRACK, "cover.jpg"]) await copyFile(join(LIBRARY, name), join(library, name));
  return library;
}

/** The outcome records a run (or a manager) left in a work directory's ledger, without the run's key and order. */
async function outcomes(env: Env, workDir: string, run?: string) {
  const config = loadPipelineConfig(env, { workDir });
  const ledger = await openLedger(config);
  try {
    const found: Array<Omit<RecordOf<"outcome">, "run" | "order">> = [];
    for await (const page of ledger.outcomes(run ?? runKey(config)))
      for (const { run: _run, order: _order, ...outcome } of page) found.push(outcome);
    return found;
  } finally {
    await ledger.close();
  }
}

/** What `uploadMusicLibrary` (the runner, without a chain) records for the same library. */
async function runOutcomes(env: Env, musicDir: string, workDir: string) {
  await uploadMusicLibrary({ musicDir, workDir, env, progress: new RunEvents() });
  return outcomes(env, workDir);
}

/** The programmatic API on embedded defaults (local S3 + embedded IPFS node in a temp work directory). */
describe("DecentralizedStorageManager (embedded defaults)", function () {
  this.timeout(120_000);
  let dir: string;
  let manager: DecentralizedStorageManager;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-manager-"));
    manager = await DecentralizedStorageManager.fromEnv({
      env: { IPFS_GATEWAY_PORT: "0" },
      overrides: { workDir: dir },
    });
  });
  after(async () => {
    await manager?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("uploads audio to the S3 primary and the IPFS backup, then finds it again without sending bytes", async () => {
    const first = await manager.uploadAudioFile(join(LIBRARY, "01 Opening.mp3"), { title: "Opening" });
    expect(first.stored.map((o) => o.provider).sort()).to.deep.equal(["ipfs", "local-s3"]);
    expect(first.urls["local-s3"]).to.match(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(first.failures).to.deep.equal([]);
    const again = await manager.uploadAudioFile(join(LIBRARY, "01 Opening.mp3"));
    expect(again.contentHash).to.equal(first.contentHash);
    // Each provider found the object it already holds and sent no byte of it again.
    expect(again.stored.map((o) => [o.provider, o.reused])).to.have.deep.members([
      ["ipfs", true],
      ["local-s3", true],
    ]);
    expect(again.stored.map((o) => o.cid)).to.deep.equal(first.stored.map((o) => o.cid));
  });

  it("pins metadata under the CID of its canonical bytes", async () => {
    const document = { name: "Opening", description: "test" };
    const pinned = await manager.uploadNftMetadata(document);
    expect(pinned.cid).to.equal(metadataCid(encodeMetadata(document).bytes).toString());
    expect(pinned.url).to.equal(`ipfs://${pinned.cid}`);
    expect(pinned.stored.map((o) => o.provider)).to.deep.equal(["ipfs"]);
  });

  it("refuses audio that is not audio, naming the file", async () => {
    const error = await manager.uploadAudioFile(join(LIBRARY, "cover.jpg")).catch((e: unknown) => e);
    expect((error as Error).message).to.equal(
      "cover.jpg: content: is not audio: its bytes are image/jpeg — pass an MP3, FLAC, Ogg, WAV, AIFF or M4A file",
    );
  });

  it("runs the complete-track workflow and reports usage", async () => {
    const track = await manager.uploadCompleteTrack({
      audioFilePath: join(LIBRARY, "02 Drift.flac"),
      trackMetadata: {
        artist: "Artist Name",
        title: "Song Title",
        album: "Album Name",
        description: "Limited edition #1",
      },
    });
    expect(track.nftMetadataUrl).to.equal(`ipfs://${track.metadataCid}`);
    expect(track.contentHash).to.match(/^[0-9a-f]{64}$/);
    const stats = await manager.getStorageStats();
    expect(stats.objects).to.be.greaterThan(0);
    expect(stats.bytes).to.be.greaterThan(0);
  });
});

/** uploadCompleteTrack takes a track through the runner's own track step (run/run-track.ts). */
describe("DecentralizedStorageManager.uploadCompleteTrack goes through the runner", function () {
  this.timeout(120_000);
  const env: Env = { IPFS_GATEWAY_PORT: "0" };
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-manager-runner-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("records the outcome a run records, and a second call sends no bytes", async () => {
    const library = await oneTrackLibrary(dir);
    const workDir = join(dir, "manager");
    let sent = 0;
    const progress = new RunEvents().on((event) => {
      if (event.type === "bytes-sent") sent += event.bytes;
    });
    const manager = await DecentralizedStorageManager.fromEnv({ env, overrides: { workDir }, progress });
    const run = manager.run;
    try {
      const first = await manager.uploadCompleteTrack({ audioFilePath: join(library, TRACK) });
      expect(sent).to.be.greaterThan(0);
      sent = 0;
      const again = await manager.uploadCompleteTrack({ audioFilePath: join(library, TRACK) });
      expect(sent).to.equal(0);
      expect(again.metadataCid).to.equal(first.metadataCid);
    } finally {
      await manager.close();
    }
    const recorded = await outcomes(env, workDir, run);
    expect(recorded).to.have.length(1);
    expect(recorded[0]).to.include({ file: TRACK, status: "stored" });
    expect(recorded).to.deep.equal(await runOutcomes(env, library, join(dir, "run")));
  });
});

/**
 * DCMX_REQUIRE through the programmatic API: the same rule as the run. An S3 primary that refuses the keys
 * (403, not retried) is reported beside the IPFS copy by default (DCMX_REQUIRE=ipfs), and fails the upload
 * when DCMX_REQUIRE names it.
 */
describe("DecentralizedStorageManager honours DCMX_REQUIRE", function () {
  this.timeout(120_000);
  let dir: string;
  let refusing: Server;
  let endpoint: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-manager-require-"));
    refusing = createServer((_req, res) => {
      res.writeHead(403, { "content-type": "application/xml" });
      res.end(
        '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
  });
  after(async () => {
    refusing?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const refusedEnv = (require: string | undefined): Env => ({
    IPFS_GATEWAY_PORT: "0",
    STORJ_ACCESS_KEY: "refused-access-key",
    STORJ_SECRET_KEY: "refused-secret-key",
    STORJ_ENDPOINT: endpoint,
    ...(require === undefined ? {} : { DCMX_REQUIRE: require }),
  });
  /** The primary's refusal, thrown as it came (not retried), naming the provider and not the secret. */
  const expectRefusedPrimary = (error: unknown) => {
    expect(error).to.be.instanceOf(AuthError);
    expect((error as Error).message)
      .to.include("storj")
      .and.not.include("refused-secret-key");
  };
  const withRequire = async (require: string | undefined, work: string) =>
    DecentralizedStorageManager.fromEnv({
      env: refusedEnv(require),
      overrides: { workDir: join(dir, work) },
    });

  it("stores on IPFS and reports the refused primary when only IPFS is required", async () => {
    const manager = await withRequire(undefined, "default");
    try {
      const stored = await manager.uploadAudioFile(join(LIBRARY, "01 Opening.mp3"));
      expect(stored.stored.map((o) => o.provider)).to.deep.equal(["ipfs"]);
      expect(stored.failures.map((f) => f.provider)).to.deep.equal(["storj"]);
      expect(stored.failures[0]!.reason).to.not.include("refused-secret-key");
    } finally {
      await manager.close();
    }
  });

  it("fails the upload when DCMX_REQUIRE names the refused primary", async () => {
    const manager = await withRequire("storj,ipfs", "storj");
    try {
      expectRefusedPrimary(
        await manager.uploadAudioFile(join(LIBRARY, "01 Opening.mp3")).catch((e: unknown) => e),
      );
    } finally {
      await manager.close();
    }
  });

  it("leaves a complete track pending, as a run does, when DCMX_REQUIRE names the refused primary", async () => {
    const library = await oneTrackLibrary(join(dir, "complete"));
    const manager = await withRequire("storj,ipfs", "complete-manager");
    const run = manager.run;
    try {
      expectRefusedPrimary(
        await manager.uploadCompleteTrack({ audioFilePath: join(library, TRACK) }).catch((e: unknown) => e),
      );
    } finally {
      await manager.close();
    }
    const env = refusedEnv("storj,ipfs");
    const recorded = await outcomes(env, join(dir, "complete-manager"), run);
    expect(recorded).to.have.length(1);
    expect(recorded[0]).to.include({ file: TRACK, status: "pending" });
    expect(recorded[0]!.error).to.include("storj").and.not.include("refused-secret-key");
    expect(recorded).to.deep.equal(await runOutcomes(env, library, join(dir, "complete-run")));
  });

  it("refuses, as a run does, a DCMX_REQUIRE naming the IPFS node while INCLUDE_IPFS_BACKUP is off", async () => {
    const env = { ...refusedEnv("ipfs"), INCLUDE_IPFS_BACKUP: "false" };
    const workDir = join(dir, "unroutable");
    const error = await DecentralizedStorageManager.fromEnv({ env, overrides: { workDir } }).then(
      async (manager) => manager.close(),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    const byRun = await uploadMusicLibrary({
      musicDir: LIBRARY,
      workDir,
      env,
      progress: new RunEvents(),
    }).catch((e: unknown) => e);
    expect((error as Error).message).to.equal((byRun as Error).message);
  });
});
