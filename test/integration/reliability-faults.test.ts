import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { keccak256, type PublicClient, parseAbi, toHex } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { metadataDigest } from "../../pipeline/content/index.js";
import { type LocalS3, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import type { RunReport } from "../../pipeline/report/report.js";
import type { ChainSetup } from "../../pipeline/run/deployment.js";
import { startStuckPinningService } from "../support/fault-pinning.js";
import { type FaultProxy, internalError, slowDown, startFaultProxy } from "../support/fault-proxy.js";
import {
  assertChainMatches,
  assertLedgerConsistent,
  assertStoredBytesMatch,
  type InProcessRun,
  runInProcess,
} from "../support/fault-run.js";
import { mountTmpfs } from "../support/fault-tmpfs.js";
import { freePort } from "../support/hardhat-node.js";
import { startNftStorageServer } from "../support/ipfs-nft-storage-server.js";
import { startPinningService } from "../support/ipfs-pinning-service.js";
import { generateLibrary } from "../support/library-generator.js";

const TRACKS = 3;

/**
 * Faults in every storage dependency, injected on loopback in front of real servers, with the pipeline
 * in this process on Hardhat's in-process chain. After each fault a re-run (at most two) ends with every
 * track minted exactly once, the journal consistent, and every stored object byte-identical to its source.
 */
describe("reliability: faults", function () {
  this.timeout(240_000);
  let dir: string;
  let connection: NetworkConnection;
  let client: PublicClient;
  let s3: LocalS3;
  let proxy: FaultProxy;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-rel-faults-"));
    connection = await network.create();
    client = (await connection.viem.getPublicClient()) as unknown as PublicClient;
    s3 = await startLocalS3({ directory: join(dir, "s3") });
    proxy = await startFaultProxy(s3.endpoint);
  });
  afterEach(() => proxy.setRule(() => ({ kind: "forward" })));
  after(async () => {
    await proxy?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const s3Credentials = () => ({
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  /** A scenario's library and work directory, with the "Storj" bucket reached through the fault proxy. */
  async function scenario(name: string, extra: Record<string, string> = {}) {
    await generateLibrary(join(dir, name), TRACKS, { prefix: name });
    return {
      DCMX_LIBRARY: join(dir, name, "library"),
      DCMX_WORKDIR: join(dir, name, "work"),
      DCMX_REQUIRE: "storj,ipfs",
      STORJ_ACCESS_KEY: s3.accessKeyId,
      STORJ_SECRET_KEY: s3.secretAccessKey,
      STORJ_BUCKET: s3.bucket,
      STORJ_ENDPOINT: proxy.url,
      ...extra,
    };
  }
  /** Runs until nothing is pending (a fault may leave tracks for the next run), at most three times. */
  async function runUntilSettled(env: Record<string, string>): Promise<InProcessRun> {
    let run = await runInProcess(connection, env);
    for (let i = 0; i < 2 && run.report.totals.pending > 0; i++) run = await runInProcess(connection, env);
    return run;
  }
  async function assertAllMintedOnce(env: Record<string, string>, report: RunReport) {
    expect(report.totals.successful, JSON.stringify(report.tracks.map((t) => t.error))).to.equal(TRACKS);
    await assertChainMatches(client, report);
    await assertLedgerConsistent(env.DCMX_WORKDIR!, report);
    await assertStoredBytesMatch(s3Credentials(), report);
  }

  it("S3 answering 503 SlowDown and 500 to every other request: no track fails; a re-run mints all", async () => {
    const env = await scenario("slowdown");
    let n = 0;
    proxy.setRule(() => {
      n++;
      if (n % 4 === 1) return slowDown();
      if (n % 4 === 3) return internalError();
      return { kind: "forward" };
    });
    const faulty = await runInProcess(connection, env);
    expect(proxy.log.filter((l) => l.action === "respond").length, "faults injected").to.be.at.least(4);
    // Throttling and server errors are transient: a track may wait for the next run, never fail for good.
    expect(faulty.report.tracks.filter((t) => t.status === "failed")).to.deep.equal([]);
    proxy.setRule(() => ({ kind: "forward" }));
    const { report } = await runUntilSettled(env);
    await assertAllMintedOnce(env, report);
  });

  it("S3 responses slower than the timeout: each hung request is abandoned and retried; all minted once", async () => {
    const env = await scenario("hung", { STORJ_TIMEOUT_SECONDS: "1" });
    let hung = 0;
    proxy.setRule(async (req) => {
      // The first three uploads hang for longer than this test may take: only the client's own timeout
      // (1 s here) followed by a retry can get the run through.
      if (req.method === "PUT" && hung < 3) {
        hung++;
        await new Promise((resolve) => setTimeout(resolve, 600_000).unref());
        return { kind: "drop" };
      }
      return { kind: "forward" };
    });
    const { report } = await runUntilSettled(env);
    expect(hung).to.equal(3);
    await assertAllMintedOnce(env, report);
  });

  it("the S3 server stopped mid-upload and restarted: a re-run finishes, nothing uploaded or minted twice", async () => {
    const env = await scenario("restart-s3");
    let stopped: Promise<void> | undefined;
    proxy.setRule(async (req) => {
      if (stopped === undefined && req.method === "PUT") {
        // The server dies with this upload in flight; it comes back on a new port a moment later.
        stopped = (async () => {
          await s3.stop();
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          s3 = await startLocalS3({ directory: join(dir, "s3") });
          proxy.setUpstream(s3.endpoint);
        })();
        return { kind: "drop" };
      }
      return { kind: "forward" };
    });
    const { report } = await runUntilSettled(env);
    await stopped;
    await assertAllMintedOnce(env, report);
    const again = await runInProcess(connection, env);
    expect(again.report.totals.uploadedBytes).to.equal(0);
    expect(again.report.totals.mintTransactions).to.equal(0);
  });

  it("S3 storing tampered bytes: no track is minted on them; honest again, a re-run mints all", async () => {
    const env = await scenario("tamper-s3");
    proxy.setRule((req) =>
      req.method === "PUT" ? { kind: "tamper", what: "request" } : { kind: "forward" },
    );
    const first = await runInProcess(connection, env);
    expect(first.report.totals.successful).to.equal(0);
    for (const track of first.report.tracks) {
      expect(track.status, track.file).to.not.equal("minted");
      expect(track.error, track.file).to.match(/storj/);
    }
    proxy.setRule(() => ({ kind: "forward" }));
    const { report } = await runUntilSettled(env);
    await assertAllMintedOnce(env, report);
  });

  it("an IPFS provider answering with a wrong CID: refused, nothing minted; an honest provider then mints all", async () => {
    const token = "lying-provider-token";
    const liar = await startNftStorageServer({
      token,
      lieCid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
    });
    const honest = await startNftStorageServer({ token });
    try {
      const env = await scenario("lying-ipfs", { NFT_STORAGE_TOKEN: token });
      const nft = (server: { url: string }) => ({
        ...env,
        NFT_STORAGE_ENDPOINT: server.url,
        NFT_STORAGE_GATEWAY_URL: server.url,
      });
      const first = await runInProcess(connection, nft(liar));
      expect(first.report.totals.successful).to.equal(0);
      for (const track of first.report.tracks) expect(track.error, track.file).to.match(/nft-storage|CID/i);
      const { report } = await runUntilSettled(nft(honest));
      await assertAllMintedOnce(env, report);
    } finally {
      await liar.close();
      await honest.close();
    }
  });

  it("a batch reverting because another minter minted one of its hashes meanwhile: the rest minted, that one once", async () => {
    const env = await scenario("rival");
    const [admin, rival] = await connection.viem.getWalletClients();
    const roles = parseAbi(["function grantRole(bytes32 role, address account)"]);
    let contract: `0x${string}` | undefined;
    let rivalHash: string | undefined;
    const withRival = (setup: ChainSetup): ChainSetup => ({
      ...setup,
      deploy: async () => {
        contract = await setup.deploy();
        await admin!.writeContract({
          address: contract,
          abi: roles,
          functionName: "grantRole",
          args: [keccak256(toHex("MINTER_ROLE")), rival!.account.address],
        });
        return contract;
      },
      // Just before our batch goes out, the rival mints the batch's first track itself.
      walletClient: new Proxy(setup.walletClient, {
        get(target, property, receiver) {
          if (property !== "writeContract") return Reflect.get(target, property, receiver);
          return async (request: Parameters<typeof target.writeContract>[0]) => {
            if (rivalHash === undefined) {
              const [first] = (
                request.args as [
                  unknown,
                  Array<{ contentHash: `0x${string}`; metadataDigest: `0x${string}` }>,
                ]
              )[1];
              rivalHash = first!.contentHash.slice(2);
              await rival!.writeContract({
                address: contract!,
                abi: tracksAbi,
                functionName: "mintBatch",
                args: [rival!.account.address, [first!]],
              });
            }
            return target.writeContract(request);
          };
        },
      }),
    });
    const { report } = await runInProcess(connection, env, { chain: withRival });
    expect(rivalHash, "the rival minted").to.be.a("string");
    await assertAllMintedOnce(env, report);
    const rivals = report.tracks.filter((t) => t.sha256 === rivalHash);
    expect(rivals.map((t) => t.status)).to.deep.equal(["minted"]);
    const owner = await client.readContract({
      address: contract!,
      abi: parseAbi(["function ownerOf(uint256) view returns (address)"]),
      functionName: "ownerOf",
      args: [BigInt(rivals[0]!.tokenId!)],
    });
    expect(owner.toLowerCase()).to.equal(rival!.account.address.toLowerCase());
    // The digest the rival recorded is the one we built: the same track, minted once.
    const digest = await client.readContract({
      address: contract!,
      abi: tracksAbi,
      functionName: "metadataDigestOf",
      args: [BigInt(rivals[0]!.tokenId!)],
    });
    expect(digest).to.equal(metadataDigest(rivals[0]!.metadataCid!));
  });

  it("a pinning service that accepts and never pins: tracks are minted without that backup, reported degraded; a working service then completes it", async () => {
    const token = "stuck-pinning-token";
    // The artist's node, exposed publicly under ORIGIN (the stand-in reaches it on loopback).
    const port = await freePort();
    const origin = "/dns4/ipfs.artist.example/tcp/443/p2p/12D3KooWArtistNode";
    const stuck = await startStuckPinningService(token);
    const working = await startPinningService({ token, reachable: { [origin]: `http://127.0.0.1:${port}` } });
    try {
      const env = await scenario("stuck-pin", {
        PINNING_SERVICE_TOKEN: token,
        PINNING_TIMEOUT_SECONDS: "2",
        PINNING_SERVICE_ORIGINS: origin,
        IPFS_GATEWAY_PORT: String(port),
      });
      const first = await runInProcess(connection, { ...env, PINNING_SERVICE_ENDPOINT: stuck.url });
      await assertAllMintedOnce(env, first.report);
      for (const track of first.report.tracks)
        expect(track.degraded.join(), track.file).to.match(/on pinning-service: .*pin/i);
      const second = await runInProcess(connection, {
        ...env,
        PINNING_SERVICE_ENDPOINT: working.url,
        PINNING_SERVICE_GATEWAY_URL: working.url,
        PINNING_TIMEOUT_SECONDS: "120",
      });
      expect(second.report.totals.mintTransactions).to.equal(0);
      expect(second.report.tracks.flatMap((t) => t.degraded)).to.deep.equal([]);
      expect(second.report.tracks.every((t) => t.ipfsProviders.includes("pinning-service"))).to.equal(true);
      await assertAllMintedOnce(env, second.report);
    } finally {
      await stuck.close();
      await working.close();
    }
  });

  it("the IPFS node's disk full: no track minted without its IPFS copy; with room again a re-run mints all", async function () {
    const env = await scenario("disk-full");
    const disk = await mountTmpfs(join(dir, "disk-full", "ipfs"), { sizeMb: 0.08 });
    if (!disk) return this.skip();
    try {
      const full = await runInProcess(connection, { ...env, IPFS_REPO: disk.path });
      expect(full.report.totals.successful, "some track needed more room than there was").to.be.below(TRACKS);
      for (const track of full.report.tracks.filter((t) => t.status !== "minted"))
        expect(track.status, `${track.file}: ${track.error}`).to.equal("pending");
      expect(full.lines.join("\n")).to.match(/ENOSPC|no space|disk/i);
      // Said at the start, from the free space against the audio not stored yet.
      expect(full.lines.join("\n")).to.match(
        /! local disk at \S+: [\d.]+ KB free, but the embedded copies of the audio not stored yet need up to [\d.]+ [KM]B/,
      );
      await disk.resize(64);
      const { report } = await runUntilSettled({ ...env, IPFS_REPO: disk.path });
      await assertAllMintedOnce(env, report);
    } finally {
      await disk.unmount();
    }
  });
});
