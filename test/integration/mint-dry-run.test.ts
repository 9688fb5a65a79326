import { execFile } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { runDoctor } from "../../pipeline/audit/doctor/run-doctor.js";
import { DISK_SHORT_FIX } from "../../pipeline/run/local-disk.js";
import { mountTmpfs } from "../support/fault-tmpfs.js";
import { startHardhatNode } from "../support/hardhat-node.js";

const HARDHAT = new URL("../../node_modules/.bin/hardhat", import.meta.url).pathname;
const LIBRARY = new URL("../../examples/library", import.meta.url).pathname;

/** `npx hardhat mint-library --dry-run` as a user runs it, on the sample library (5 tracks, 2 covers). */
async function dryRun(env: Record<string, string>, network: string[] = []): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(HARDHAT, [...network, "mint-library", "--dry-run"], {
    env: { ...process.env, CI: "true", DCMX_LIBRARY: LIBRARY, ...env },
    timeout: 120_000,
  });
  return stdout + stderr;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe("mint-library --dry-run", function () {
  this.timeout(180_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-dry-run-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("prints tracks, bytes per provider, local disk and estimated gas on embedded defaults, touching nothing", async () => {
    const workDir = join(dir, "embedded", "work");
    const output = await dryRun({ DCMX_WORKDIR: workDir });
    expect(output).to.include("nothing is uploaded, deployed or minted");
    expect(output).to.match(/Tracks: 5\n/);
    expect(output).to.match(/local S3 \(audio; no Storj keys set\): 5 objects, 427\.8 KB\n/);
    expect(output).to.match(/ipfs \(audio backup\): 5 objects, 427\.8 KB\n/);
    expect(output).to.match(/ipfs \(artwork\): 2 objects, /);
    expect(output).to.match(/ipfs \(metadata\): 5 objects, /);
    expect(output).to.not.include("storj (");
    // One disk holds both embedded stores: the audio twice (S3 and IPFS), the covers and metadata once.
    expect(output).to.match(
      /local disk at \S+: needs up to (9\d\d\.\d KB|1\.\d MB) for the embedded copies, [\d.]+ [KMGT]?B free\n/,
    );
    expect(output).to.not.include("NOT ENOUGH");
    expect(output).to.match(/Mint transactions: 1 \(batches of 50\)/);
    expect(output).to.match(/Estimated gas: [1-9]\d+ \([1-9]\d+ per track\)/);
    expect(await exists(join(dir, "embedded"))).to.equal(false);
  });

  it("counts audio and artwork against the Storj free tier when Storj keys are set, without contacting it", async () => {
    const secret = "dry-run-secret-key-do-not-print-0123456789";
    const output = await dryRun({
      DCMX_WORKDIR: join(dir, "storj", "work"),
      STORJ_ACCESS_KEY: "dry-run-access-key",
      STORJ_SECRET_KEY: secret,
      // Nothing listens here: a dry run that contacted Storj would fail.
      STORJ_ENDPOINT: "http://127.0.0.1:9",
    });
    expect(output).to.match(/storj \(audio\): 5 objects, 427\.8 KB — 0\.000% of the 150\.0 GB free tier\n/);
    expect(output).to.match(/storj \(artwork\): 2 objects, /);
    expect(output).to.not.include("local S3");
    // Only the IPFS repo is local now: the audio once, the covers and metadata.
    expect(output).to.match(/local disk at \S+: needs up to (5\d\d\.\d KB) for the embedded copies/);
    expect(output).to.not.include(secret);
  });

  it("says which configured services are closed, and that a public network needs a remote backend", async () => {
    const node = await startHardhatNode({ chainId: 11155111 });
    try {
      const output = await dryRun(
        {
          DCMX_WORKDIR: join(dir, "public", "work"),
          LOCALHOST_RPC_URL: node.url,
          NFT_STORAGE_TOKEN: "dry-run-nft-token-4410",
        },
        ["--network", "localhost"],
      );
      expect(output).to.match(
        /! nft-storage: NFT\.Storage Classic stopped taking uploads on 2024-06-30: nft-storage is not used \(minting goes on without it\)\. Move to Filecoin Onchain Cloud/,
      );
      expect(output).to.include(
        "! on localhost no remote IPFS backend is configured: tokens would point at content only this machine has; tracks stay pending until one is configured (docs/STORAGE_SETUP.md), or set DCMX_ALLOW_LOCAL_ONLY=1",
      );
      expect(output).to.not.include("dry-run-nft-token-4410");
      // The development chain on loopback is local: no warning there.
      const local = await dryRun({ DCMX_WORKDIR: join(dir, "public", "work") });
      expect(local).to.not.include("no remote IPFS backend");
    } finally {
      await node.stop();
    }
  });

  it("says when the disk holding the embedded copies is too small, as does dcmx doctor", async function () {
    const disk = await mountTmpfs(join(dir, "small"), { sizeMb: 0.25 });
    if (disk === undefined) return this.skip();
    try {
      const env = { DCMX_LIBRARY: LIBRARY, DCMX_WORKDIR: join(disk.path, "work") };
      const output = await dryRun(env);
      expect(output).to.match(
        /local disk at \S+small: needs up to \S+ KB for the embedded copies, 2\d\d\.\d KB free — NOT ENOUGH: free some space, set DCMX_WORKDIR \/ IPFS_REPO on a larger disk, or set Storj keys/,
      );
      const findings = await runDoctor({ env, envFile: join(dir, "none.env") });
      expect(findings.find((f) => f.check === "local disk")).to.deep.include({
        status: "warn",
        fix: DISK_SHORT_FIX,
      });
    } finally {
      await disk.unmount();
    }
  });
});
