import { execFile } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { runDoctor } from "../../pipeline/commands/doctor/run-doctor.js";
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
    // The FLAC and the M4A get MP3 V0 previews, estimated at 245 kbit/s over their 5 s: routed like the audio.
    expect(output).to.match(
      /Previews: 2 masters OpenSea cannot play \(FLAC, AIFF, M4A\) to encode as mp3-v0, about 153\.8 KB in about/,
    );
    expect(output).to.match(/local S3 \(previews\): 2 objects, 153\.8 KB\n/);
    expect(output).to.match(/ipfs \(previews backup\): 2 objects, 153\.8 KB\n/);
    expect(output).to.match(/ipfs \(artwork\): 2 objects, /);
    expect(output).to.match(/ipfs \(metadata\): 5 objects, /);
    expect(output).to.not.include("storj (");
    // Both embedded stores are on this machine: no number, no budget warning.
    expect(output).to.match(/ {4}local S3: 7 objects, 581\.7 KB — on this machine, no provider bill\n/);
    expect(output).to.match(
      / {4}ipfs \(embedded node\): 14 objects, [\d.]+ KB — on this machine, no provider bill\n/,
    );
    expect(output).to.include(
      "  Monthly storage cost: $0.00 (set DCMX_MONTHLY_BUDGET_USD to compare it with a budget)\n",
    );
    expect(output).to.not.match(/free tier|150 GB/i);
    // One disk holds both embedded stores: the audio twice (S3 and IPFS), the covers and metadata once.
    expect(output).to.match(
      /local disk at \S+: needs up to (9\d\d\.\d KB|1\.\d MB) for the embedded copies, [\d.]+ [KMGT]?B free\n/,
    );
    expect(output).to.not.include("NOT ENOUGH");
    expect(output).to.match(/Mint transactions: 1 \(batches of 50\)/);
    expect(output).to.match(/Estimated gas: [1-9]\d+ \([1-9]\d+ per track\)/);
    expect(await exists(join(dir, "embedded"))).to.equal(false);
  });

  it("prices audio and artwork on Storj at the published prices when Storj keys are set, without contacting it", async () => {
    const secret = "dry-run-secret-key-do-not-print-0123456789";
    const storjEnv = {
      DCMX_WORKDIR: join(dir, "storj", "work"),
      STORJ_ACCESS_KEY: "dry-run-access-key",
      STORJ_SECRET_KEY: secret,
      // Nothing listens here: a dry run that contacted Storj would fail.
      STORJ_ENDPOINT: "http://127.0.0.1:9",
    };
    const output = await dryRun(storjEnv);
    expect(output).to.match(/storj \(audio\): 5 objects, 427\.8 KB\n/);
    expect(output).to.match(/storj \(previews\): 2 objects, 153\.8 KB\n/);
    expect(output).to.match(/storj \(artwork\): 2 objects, /);
    expect(output).to.not.include("local S3");
    // 9 objects of 701.7 KB (2 of them the previews' 153.8 KB); the metadata-sized ones are under 50 kB, so
    // more is billed; all within 1 GB.
    expect(output).to.include(
      "    storj: 9 objects, 701.7 KB — $5.00/month at Storj DCS Standard prices (715.3 KB billed: objects under 50.0 KB count as 50.0 KB; rounded up to whole GB; usage $0.0070, below the $5.00 monthly minimum); one full download: $0.0070 egress\n",
    );
    expect(output).to.include(
      "  Monthly storage cost: $5.00 (set DCMX_MONTHLY_BUDGET_USD to compare it with a budget)\n",
    );
    expect(output).to.include("1 TB = 10^12 bytes and 1 GB = 10^9 bytes, as Storj bills");
    expect(output).to.match(/Storj DCS Standard: Storj simplified pricing, effective 2026-07-01/);
    expect(output).to.not.match(/free tier|150 GB/i);
    // Only the IPFS repo is local now: the audio and previews once, the covers and metadata.
    expect(output).to.match(/local disk at \S+: needs up to (7\d\d\.\d KB) for the embedded copies/);
    expect(output).to.not.include(secret);

    // Over a budget the plan warns and still succeeds (dryRun rejects on a non-zero exit).
    const over = await dryRun({ ...storjEnv, DCMX_MONTHLY_BUDGET_USD: "3" });
    expect(over).to.include(
      "  Monthly storage cost: $5.00 — OVER BUDGET: $2.00 above DCMX_MONTHLY_BUDGET_USD=3; store less on the paid providers or raise the budget\n",
    );
    expect(over).to.match(/Mint transactions: 1/);

    // A price from the environment replaces the published one, and says so.
    const overridden = await dryRun({
      ...storjEnv,
      DCMX_PRICE_STORJ_MINIMUM_USD_PER_MONTH: "0",
      DCMX_PRICE_STORJ_EGRESS_USD_PER_TB: "20",
      DCMX_MONTHLY_BUDGET_USD: "1",
    });
    expect(overridden).to.match(
      / {4}storj: 9 objects, 701\.7 KB — \$0\.0070\/month at .*one full download: \$0\.02 egress\n/,
    );
    expect(overridden).to.include(
      "  Monthly storage cost: $0.0070 of a $1.00 budget (DCMX_MONTHLY_BUDGET_USD)\n",
    );
    expect(overridden).to.include(
      "overridden by DCMX_PRICE_STORJ_EGRESS_USD_PER_TB, DCMX_PRICE_STORJ_MINIMUM_USD_PER_MONTH",
    );
  });

  it("refuses a malformed price override, naming the variable", async () => {
    const error = await dryRun({
      DCMX_WORKDIR: join(dir, "bad-price", "work"),
      DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH: "seven dollars",
    }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    expect(typeof error, "the dry run should fail").to.equal("object");
    const { code, stdout, stderr } = error as { stdout: string; stderr: string; code: number };
    expect(code).to.not.equal(0);
    expect(stdout + stderr)
      .to.include("DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH")
      .and.include('"seven dollars"');
  });

  it("says which configured services are closed, and that a public network needs a remote backend", async () => {
    const node = await startHardhatNode({ chainId: 11155111 });
    try {
      const output = await dryRun(
        {
          DCMX_WORKDIR: join(dir, "public", "work"),
          LOCALHOST_RPC_URL: node.url,
          NFT_STORAGE_TOKEN: "dry-run-nft-token-4410",
          DCMX_WORKERS: "2",
        },
        ["--network", "localhost"],
      );
      expect(output).to.match(
        /! nft-storage: NFT\.Storage Classic stopped taking uploads on 2024-06-30: nft-storage is not used \(minting goes on without it\)\. Move to a push backend DCMX Mint supports \(Kubo, Pinata, Filebase, Lighthouse or IPFS Cluster\)/,
      );
      expect(output).to.include(
        "! on localhost no remote IPFS backend is configured: tokens would point at content only this machine has; tracks stay pending until one is configured (docs/STORAGE_SETUP.md), or set DCMX_ALLOW_LOCAL_ONLY=1",
      );
      expect(output).to.not.include("dry-run-nft-token-4410");
      // Workers reach a `hardhat node`; the in-process chain is one process's.
      expect(output).to.include("    ✓ a chain every worker reaches\n");
      // The development chain on loopback is local: no warning there.
      const local = await dryRun({ DCMX_WORKDIR: join(dir, "public", "work"), DCMX_WORKERS: "2" });
      expect(local).to.not.include("no remote IPFS backend");
      expect(local).to.match(/\n {4}✗ a chain every worker reaches — --network: /);
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
        /local disk at \S+small: needs up to \S+ [KM]B for the embedded copies, 2\d\d\.\d KB free — NOT ENOUGH: free some space, set DCMX_WORKDIR \/ IPFS_REPO on a larger disk, or set Storj keys/,
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
