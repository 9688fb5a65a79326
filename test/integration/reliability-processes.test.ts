import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, http, type PublicClient } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type FaultProxy, slowDown, startFaultProxy } from "../support/fault-proxy.js";
import { assertChainMatches, assertLedgerConsistent } from "../support/fault-run.js";
import { type KeyedS3, startKeyedS3 } from "../support/fault-s3.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { startPinningService } from "../support/ipfs-pinning-service.js";
import { generateLibrary } from "../support/library-generator.js";

/** Recognisable fake credentials: if any of them shows up anywhere a person or a file can see, it leaked. */
const SECRETS = {
  STORJ_ACCESS_KEY: "DCMXFAKEACCESSKEY7Q3W9E1R",
  STORJ_SECRET_KEY: "dcmx-fake-secret-9f8e7d6c5b4a3f2e1d0c",
  PINNING_SERVICE_TOKEN: "dcmx-fake-pinning-token-5e6f7a8b9c",
  SEPOLIA_PRIVATE_KEY: `0x${"dc3a5ec7".repeat(8)}`,
};

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * The main command as separate processes against a real `hardhat node`: secrets never leak, and two
 * processes on one work directory never both run.
 */
describe("reliability: processes, secrets and the work-directory lock", function () {
  this.timeout(240_000);
  let node: HardhatNode;
  let client: PublicClient;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-rel-proc-"));
    node = await startHardhatNode();
    client = createPublicClient({ transport: http(node.url) }) as PublicClient;
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const envFor = (name: string) => ({
    DCMX_LIBRARY: join(dir, name, "library"),
    DCMX_WORKDIR: join(dir, name, "work"),
    LOCALHOST_RPC_URL: node.url,
    IPFS_GATEWAY_PORT: "0",
    DCMX_MINT_BATCH: "3",
  });
  const readReport = async (workDir: string) =>
    RunReportSchema.parse(JSON.parse(await readFile(join(workDir, "report.json"), "utf8")));

  describe("secrets", () => {
    let s3: KeyedS3;
    let s3Proxy: FaultProxy;
    let pinning: Awaited<ReturnType<typeof startPinningService>>;
    let pinningProxy: FaultProxy;

    before(async () => {
      s3 = await startKeyedS3({
        directory: join(dir, "secrets", "s3"),
        bucket: "dcmx-secrets",
        accessKeyId: SECRETS.STORJ_ACCESS_KEY,
        secretAccessKey: SECRETS.STORJ_SECRET_KEY,
      });
      s3Proxy = await startFaultProxy(s3.endpoint);
      pinning = await startPinningService({ token: SECRETS.PINNING_SERVICE_TOKEN });
      pinningProxy = await startFaultProxy(pinning.url);
    });
    after(async () => {
      await s3Proxy?.close();
      await s3?.stop();
      await pinningProxy?.close();
      await pinning?.close();
    });

    it("runs the full pipeline with fake keys and finds none of them in output, journal, report or work files", async () => {
      await generateLibrary(join(dir, "secrets"), 4, { prefix: "Secret" });
      // First run: hostile servers refuse every upload, echoing the credentials they were sent in the error.
      const echo = (req: { headers: Record<string, string | string[] | undefined> }) =>
        slowDown(`credentials were ${String(req.headers.authorization)}`);
      s3Proxy.setRule((req) => (req.method === "PUT" ? echo(req) : { kind: "forward" }));
      pinningProxy.setRule((req) => (req.method === "POST" ? echo(req) : { kind: "forward" }));
      const env = {
        ...envFor("secrets"),
        ...SECRETS,
        STORJ_ENDPOINT: s3Proxy.url,
        STORJ_BUCKET: s3.bucket,
        PINNING_SERVICE_ENDPOINT: pinningProxy.url,
        // No node the service reaches holds the content: the pins fail (a backup, reported), but the
        // token still goes out with every request, which is what this test watches.
        PINNING_SERVICE_ORIGINS: "/dns4/ipfs.artist.example/tcp/4001/p2p/12D3KooWArtistNode",
        PINNING_TIMEOUT_SECONDS: "60",
        DCMX_REQUIRE: "storj,ipfs",
      };
      const hostile = await runMintLibrary(env);
      expect(hostile.code, hostile.output).to.equal(75);
      expect(hostile.output, "the echoed credentials reached the output, redacted").to.include(
        "Credential=[redacted]",
      );
      s3Proxy.setRule(() => ({ kind: "forward" }));
      pinningProxy.setRule(() => ({ kind: "forward" }));
      const honest = await runMintLibrary(env);
      expect(honest.code, honest.output).to.equal(0);
      const outputs = hostile.output + honest.output;
      const report = await readReport(env.DCMX_WORKDIR);
      expect(report.totals.successful).to.equal(4);
      await assertChainMatches(client, report);

      const places: Array<[string, string | Buffer]> = [["stdout+stderr", outputs]];
      for (const file of await filesUnder(env.DCMX_WORKDIR)) places.push([file, await readFile(file)]);
      for (const file of await filesUnder(join(dir, "secrets", "s3")))
        places.push([file, await readFile(file)]);
      expect(places.length).to.be.above(10);
      const leaks = places.flatMap(([where, content]) =>
        Object.entries(SECRETS)
          .filter(([, secret]) => content.includes(secret))
          .map(([name]) => `${name} in ${where}`),
      );
      expect(leaks).to.deep.equal([]);
    });
  });

  it("refuses a second process on the same work directory with a clear message; the first mints everything once", async () => {
    await generateLibrary(join(dir, "lock"), 4, { prefix: "Lock" });
    const s3 = await startLocalS3({ directory: join(dir, "lock", "s3") });
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      // The first process is held in its first upload, so it surely holds the lock when the second starts.
      let holding!: () => void;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      proxy.setRule(async (req) => {
        if (req.method === "PUT") {
          holding();
          await released;
        }
        return { kind: "forward" };
      });
      const env = {
        ...envFor("lock"),
        STORJ_ACCESS_KEY: s3.accessKeyId,
        STORJ_SECRET_KEY: s3.secretAccessKey,
        STORJ_BUCKET: s3.bucket,
        STORJ_ENDPOINT: proxy.url,
      };
      const first = runMintLibrary(env);
      await held;
      const second = await runMintLibrary(env);
      release();
      const winner = await first;
      expect(second.code, second.output).to.equal(1);
      expect(second.output).to.match(
        /another DCMX Mint process \(pid \d+ on .+\) is using this work directory/,
      );
      expect(second.output).to.include(join(env.DCMX_WORKDIR, "journal.lock"));
      expect(winner.code, winner.output).to.equal(0);
      const report = await readReport(env.DCMX_WORKDIR);
      expect(report.totals.successful).to.equal(4);
      await assertChainMatches(client, report);
      await assertLedgerConsistent(env.DCMX_WORKDIR, report);
    } finally {
      await proxy.close();
      await s3.stop();
    }
  });

  describe("the JSON-RPC node", () => {
    /** JSON-RPC methods in a request body (viem may send a batch). */
    const methods = (body: Buffer): string[] => {
      const parsed = JSON.parse(body.toString() || "null") as
        | { method?: string }
        | Array<{ method?: string }>;
      return (Array.isArray(parsed) ? parsed : [parsed]).map((call) => call?.method ?? "");
    };
    /** Tracks minted exactly once in the report's collection: one TrackMinted per track, none twice. */
    async function assertOneEventPerTrack(rpc: PublicClient, workDir: string, expected: number) {
      const report = await readReport(workDir);
      expect(report.totals.successful, JSON.stringify(report.tracks.map((t) => t.error))).to.equal(expected);
      const logs = await rpc.getContractEvents({
        address: report.chain!.contract as `0x${string}`,
        abi: tracksAbi,
        eventName: "TrackMinted",
        fromBlock: 0n,
      });
      expect(logs).to.have.length(expected);
      expect(new Set(logs.map((l) => l.args.contentHash)).size).to.equal(expected);
      await assertChainMatches(rpc, report);
      await assertLedgerConsistent(workDir, report);
    }

    it("the node accepts a mint but its answer is lost: nothing is minted twice", async () => {
      await generateLibrary(join(dir, "lost-answer"), 4, { prefix: "Lost" });
      const proxy = await startFaultProxy(node.url);
      try {
        let lost = 0;
        proxy.setRule((req) =>
          methods(req.body).includes("eth_sendTransaction") && lost++ === 1
            ? { kind: "lose-answer" }
            : { kind: "forward" },
        );
        const env = { ...envFor("lost-answer"), LOCALHOST_RPC_URL: proxy.url, DCMX_MINT_BATCH: "2" };
        let run = await runMintLibrary(env);
        if (run.code !== 0) run = await runMintLibrary(env);
        expect(run.code, run.output).to.equal(0);
        expect(lost, "a mint answer was lost").to.be.at.least(2);
        await assertOneEventPerTrack(client, env.DCMX_WORKDIR, 4);
      } finally {
        await proxy.close();
      }
    });

    it("the node restarted from scratch mid-batch: a re-run mints every track once on the new chain", async () => {
      await generateLibrary(join(dir, "rpc-restart"), 4, { prefix: "Restart" });
      let fresh: HardhatNode | undefined;
      const proxy = await startFaultProxy(node.url);
      try {
        let sends = 0;
        proxy.setRule(async (req) => {
          if (!methods(req.body).includes("eth_sendTransaction") || sends++ !== 1) return { kind: "forward" };
          // The second mint batch is in flight when the node dies; a new one (empty chain) takes its place.
          fresh = await startHardhatNode();
          proxy.setUpstream(fresh.url);
          return { kind: "drop" };
        });
        const env = { ...envFor("rpc-restart"), LOCALHOST_RPC_URL: proxy.url, DCMX_MINT_BATCH: "2" };
        const interrupted = await runMintLibrary(env);
        expect(sends, "the restart happened").to.be.at.least(2);
        let run = interrupted;
        for (let i = 0; i < 2 && run.code !== 0; i++) run = await runMintLibrary(env);
        expect(run.code, `${interrupted.output}\n---\n${run.output}`).to.equal(0);
        const freshClient = createPublicClient({ transport: http(fresh!.url) }) as PublicClient;
        await assertOneEventPerTrack(freshClient, env.DCMX_WORKDIR, 4);
      } finally {
        await proxy.close();
        await fresh?.stop();
      }
    });
  });
});
