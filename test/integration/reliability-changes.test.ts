import { appendFile, chmod, mkdtemp, readdir, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import type { PublicClient } from "viem";
import type { PutRequest } from "../../pipeline/providers/types.js";
import type { StorageSet } from "../../pipeline/storage/storage-set.js";
import { assertChainMatches, assertLedgerConsistent, runInProcess } from "../support/fault-run.js";
import { generateLibrary } from "../support/library-generator.js";

const TRACKS = 3;

/**
 * A library that changes under a run: the file of one track is changed, removed or made unreadable after
 * the scan hashed it and just as its upload starts (the S3 primary's put is where the change is made, so
 * it lands at that moment however fast the machine is). That track fails naming its file, the others are
 * minted, the journal agrees with the chain, and a later run picks the library up as it now is.
 */
describe("reliability: files that change during a run", function () {
  this.timeout(240_000);
  let dir: string;
  let connection: NetworkConnection;
  let client: PublicClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-rel-changes-"));
    connection = await network.create();
    client = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A scenario's library and work directory, and the file of the track the change hits. */
  async function scenario(name: string) {
    await generateLibrary(join(dir, name), TRACKS, { prefix: name });
    const library = join(dir, name, "library");
    const target = join(library, (await readdir(library)).sort()[1]!);
    return { env: { DCMX_LIBRARY: library, DCMX_WORKDIR: join(dir, name, "work") }, target };
  }

  /** Runs `change` once, when the S3 primary is asked to store `target`'s audio. */
  const onUpload = (target: string, change: () => Promise<void>) => (storage: StorageSet) => {
    const put = storage.storj.put.bind(storage.storj);
    let done = false;
    storage.storj.put = async (request: PutRequest) => {
      if (!done && request.kind === "audio" && "path" in request.source && request.source.path === target) {
        done = true;
        await change();
      }
      return put(request);
    };
  };

  async function expectOnlyTargetFailed(
    run: Awaited<ReturnType<typeof runInProcess>>,
    target: string,
    env: { DCMX_WORKDIR: string },
  ) {
    const failed = run.report.tracks.filter((t) => t.status === "failed");
    expect(failed.map((t) => t.file)).to.deep.equal([target.slice(target.lastIndexOf("/") + 1)]);
    expect(run.report.totals.successful).to.equal(TRACKS - 1);
    await assertChainMatches(client, run.report);
    await assertLedgerConsistent(env.DCMX_WORKDIR, run.report);
    return failed[0]!;
  }

  it("a file whose bytes change after it was hashed: that track fails naming the file, never minted with other bytes", async () => {
    const { env, target } = await scenario("changed");
    const run = await runInProcess(connection, env, {
      storage: onUpload(target, () => appendFile(target, Buffer.from("appended after the scan"))),
    });
    const failed = await expectOnlyTargetFailed(run, target, env);
    expect(failed.error).to.match(/changed|SHA-256|CID/i);
    // The next run hashes the file as it now is and mints it; the others are not minted again.
    const again = await runInProcess(connection, env);
    expect(again.report.totals.successful).to.equal(TRACKS);
    expect(again.report.totals.mintTransactions).to.equal(1);
    await assertChainMatches(client, again.report);
  });

  it("a file removed after it was hashed: that track fails naming the file, the rest are minted", async () => {
    const { env, target } = await scenario("vanished");
    const run = await runInProcess(connection, env, { storage: onUpload(target, () => unlink(target)) });
    const failed = await expectOnlyTargetFailed(run, target, env);
    expect(failed.error).to.match(/no such file|ENOENT|not found|missing/i);
    const again = await runInProcess(connection, env);
    expect(again.report.totals.tracks).to.equal(TRACKS - 1);
    expect(again.report.totals.mintTransactions).to.equal(0);
  });

  it("a file made unreadable after it was hashed: that track fails naming the file, the rest are minted", async function () {
    // Root reads whatever the mode bits say, so there is no unreadable file to meet as root.
    if (process.getuid?.() === 0) {
      console.log("    (skipped: running as root, which can read a file whatever its mode)");
      this.skip();
    }
    const { env, target } = await scenario("unreadable");
    const run = await runInProcess(connection, env, { storage: onUpload(target, () => chmod(target, 0)) });
    const failed = await expectOnlyTargetFailed(run, target, env);
    expect(failed.error).to.match(/permission|EACCES/i);
  });
});
