import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import * as dagPb from "@ipld/dag-pb";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { createWalletClient, http } from "viem";
import { type AuditReport, AuditReportSchema } from "../../pipeline/audit/audit-report.js";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { runDoctor } from "../../pipeline/commands/doctor/run-doctor.js";
import type { Listing } from "../../pipeline/commands/export/marketplace-export.js";
import type { StorageUsage } from "../../pipeline/commands/stats/storage-usage.js";
import { metadataDigest } from "../../pipeline/content/index.js";
import {
  NODE_DATABASE,
  NodeStores,
  type SqliteBlockstore,
} from "../../pipeline/providers/ipfs/node-stores.js";
import { createS3Client } from "../../pipeline/providers/s3/client.js";
import { localS3Config, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { type RunReport, RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { generateLibrary } from "../support/library-generator.js";

/** A block's bytes: the blockstore streams them in chunks. */
async function readBlock(blocks: SqliteBlockstore, cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of blocks.get(cid)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const DCMX = new URL("../../bin/dcmx.js", import.meta.url).pathname;
const HARDHAT = new URL("../../node_modules/.bin/hardhat", import.meta.url).pathname;

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, {
    env: { ...process.env, CI: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

/**
 * `dcmx verify` against a collection the real pipeline minted on a `hardhat node`, with the embedded local
 * S3 and IPFS node in the work directory: all ok, then three tamperings, each named on its own row.
 */
describe("dcmx verify (hardhat node)", function () {
  this.timeout(240_000);
  let node: HardhatNode;
  let dir: string;
  let env: Record<string, string>;
  let minted: RunReport;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-audit-"));
    [node] = await Promise.all([startHardhatNode(), generateLibrary(dir, 4)]);
    env = {
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
    };
    const run = await runMintLibrary(env);
    expect(run.code, run.output).to.equal(0);
    minted = RunReportSchema.parse(JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")));
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `dcmx verify` (contract from the work directory's report, RPC from LOCALHOST_RPC_URL), or the task. */
  async function verify(
    via: "cli" | "task" = "cli",
  ): Promise<{ code: number | null; output: string; report: AuditReport }> {
    const json = join(dir, `audit-${via}.json`);
    const result =
      via === "cli"
        ? await run(process.execPath, [DCMX, "verify", "--json", json], env)
        : await run(HARDHAT, ["verify-collection", "--network", "localhost", "--json", json], env);
    const report = AuditReportSchema.parse(JSON.parse(await readFile(json, "utf8")));
    return { ...result, report };
  }
  const checkOf = (report: AuditReport, sha256: string, target: string) =>
    report.tokens.find((t) => t.contentHash === sha256)!.checks.find((c) => c.target === target)!;

  it("reports every token ok on every provider and exits 0", async () => {
    const { code, output, report } = await verify();
    expect(code, output).to.equal(0);
    expect(report.contract).to.equal(minted.chain!.contract);
    expect(report.tokens).to.have.length(4);
    for (const token of report.tokens) {
      expect(token.checks.map((c) => [c.target, c.status])).to.deep.equal([
        ["metadata", "ok"],
        ["local-s3", "ok"],
        ["ipfs", "ok"],
      ]);
    }
    expect(output).to.match(/4 tokens: 12 ok, 0 missing, 0 corrupt/);
  });

  it("runs as the verify-collection Hardhat task on --network localhost", async () => {
    const { code, output, report } = await verify("task");
    expect(code, output).to.equal(0);
    expect(report.totals).to.include({ ok: 12, missing: 0, corrupt: 0 });
  });

  it("dcmx url prints the signed S3 URL and the IPFS gateway URL, by token id and by SHA-256", async () => {
    const track = minted.tracks[0]!;
    const byId = await run(process.execPath, [DCMX, "url", track.tokenId!, "--expires", "600"], env);
    expect(byId.code, byId.output).to.equal(0);
    expect(byId.output).to.include(`Token ${track.tokenId} (audio SHA-256 ${track.sha256})`);
    expect(byId.output).to.match(
      new RegExp(
        `local-s3 \\(signed, temporary\\): http://127\\.0\\.0\\.1:\\d+/dcmx-music/${track.storj!.key}\\?.*X-Amz-Expires=600`,
      ),
    );
    expect(byId.output).to.match(
      new RegExp(`ipfs \\(permanent\\): http://127\\.0\\.0\\.1:\\d+/ipfs/${track.cid}`),
    );
    const bySha = await run(process.execPath, [DCMX, "url", `0x${track.sha256}`], env);
    expect(bySha.code, bySha.output).to.equal(0);
    expect(bySha.output).to.include(`Token ${track.tokenId} (audio SHA-256 ${track.sha256})`);
  });

  it("dcmx serve streams the minted audio from the local gateway until SIGTERM", async () => {
    const track = minted.tracks[1]!;
    const child = spawn(process.execPath, [DCMX, "serve"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    const gateway = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        output += d;
        const match = /Gateway: (http:\/\/\S+) /.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once("exit", () => reject(new Error(`serve exited: ${output}`)));
    });
    const answer = await fetch(`${gateway}/ipfs/${track.cid}`);
    const hash = createHash("sha256");
    for await (const chunk of answer.body!) hash.update(chunk);
    expect(hash.digest("hex")).to.equal(track.sha256);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).to.equal(0);
  });

  it("dcmx stats counts the collection's objects per provider; the embedded stores cost nothing", async () => {
    const { code, output } = await run(process.execPath, [DCMX, "stats", "--json"], env);
    expect(code, output).to.equal(0);
    const usage = JSON.parse(output.slice(output.indexOf("{"))) as StorageUsage;
    const audioBytes = minted.tracks.reduce((sum, t) => sum + t.size, 0);
    expect(usage.averageTrackBytes).to.equal(audioBytes / 4);
    const s3 = usage.providers.find((p) => p.provider === "local-s3")!;
    // The audio and the FLAC's MP3 preview, which goes wherever the audio goes.
    const previews = minted.tracks.flatMap((t) => (t.preview ? [t.preview.size] : []));
    expect(previews).to.have.length(1);
    expect(s3.holding).to.include({ objects: 5, bytes: audioBytes + previews[0]! });
    expect(s3.cost).to.equal("on this machine, no provider bill");
    expect(s3.monthlyUsd).to.equal(undefined);
    // The node pins each track's audio and metadata, the artwork and the collection document.
    const ipfs = usage.providers.find((p) => p.provider === "ipfs")!;
    expect(ipfs.holding!.objects).to.be.at.least(8);
    expect(ipfs.holding!.bytes).to.be.greaterThan(audioBytes);
    expect(usage.monthlyUsd).to.equal(0);
  });

  it("dcmx stats prices a Storj bucket at the published prices, or the overridden ones, against the budget", async () => {
    const s3 = await startLocalS3({ directory: join(dir, "storj-stats") });
    try {
      const client = createS3Client(localS3Config(s3));
      // 3 tiny objects (billed as 50 kB each) and one of 1.2 MB.
      for (const [key, size] of [
        ["a", 10],
        ["b", 20],
        ["c", 30],
        ["d", 1_200_000],
      ] as const) {
        await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: Buffer.alloc(size) }));
      }
      client.destroy();
      const storjEnv = {
        ...env,
        DCMX_WORKDIR: join(dir, "storj-stats-work"),
        STORJ_ACCESS_KEY: s3.accessKeyId,
        STORJ_SECRET_KEY: s3.secretAccessKey,
        STORJ_BUCKET: s3.bucket,
        STORJ_ENDPOINT: s3.endpoint,
        DCMX_MONTHLY_BUDGET_USD: "4",
      };
      const published = await run(process.execPath, [DCMX, "stats"], storjEnv);
      expect(published.code, published.output).to.equal(0);
      expect(published.output).to.include(
        "  storj: 4 objects, 1.2 MB — $5.00/month at Storj DCS Standard prices (1.4 MB billed: objects under 50.0 KB count as 50.0 KB; rounded up to whole GB; usage $0.0070, below the $5.00 monthly minimum); one full download: $0.0070 egress",
      );
      expect(published.output).to.include(
        "  Monthly storage cost: $5.00 — OVER BUDGET: $1.00 above DCMX_MONTHLY_BUDGET_USD=4",
      );
      expect(published.output).to.include("Storj simplified pricing, effective 2026-07-01");
      expect(published.output).to.not.match(/free tier|150 GB/i);
      expect(published.output).to.not.include(s3.secretAccessKey);

      const overridden = await run(process.execPath, [DCMX, "stats", "--json"], {
        ...storjEnv,
        DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH: "1000",
        DCMX_PRICE_STORJ_MINIMUM_USD_PER_MONTH: "0",
      });
      expect(overridden.code, overridden.output).to.equal(0);
      const usage = JSON.parse(overridden.output.slice(overridden.output.indexOf("{"))) as StorageUsage;
      const storj = usage.providers.find((p) => p.provider === "storj")!;
      expect(storj.holding).to.deep.equal({ objects: 4, bytes: 1_200_060, billedBytes: 1_350_000 });
      // 1 whole GB at $1000/TB.
      expect(storj.monthlyUsd).to.be.closeTo(1, 1e-9);
      expect(usage.monthlyUsd).to.be.closeTo(1, 1e-9);
      expect(storj.source).to.include("overridden by DCMX_PRICE_STORJ_STORAGE_USD_PER_TB_MONTH");
    } finally {
      await s3.stop();
    }
  });

  it("dcmx export writes listing rows through the chosen gateway and the collection document", async () => {
    await copyFile(
      new URL("../../examples/library/cover.jpg", import.meta.url),
      join(dir, "library", "cover.jpg"),
    );
    const release = {
      name: "Audit Test",
      description: "A collection for the audit test.",
      image: "cover.jpg",
    };
    await writeFile(join(dir, "library", "release.json"), JSON.stringify(release));
    const out = join(dir, "export");
    const { code, output } = await run(
      process.execPath,
      [DCMX, "export", "--gateway", "https://gw.example", "--out", out],
      env,
    );
    expect(code, output).to.equal(0);
    const listings = JSON.parse(await readFile(join(out, "tokens.json"), "utf8")) as Listing[];
    expect(listings.map((l) => l.tokenId)).to.deep.equal(["1", "2", "3", "4"]);
    for (const track of minted.tracks) {
      const row = listings.find((l) => l.tokenId === track.tokenId)!;
      expect(row).to.include({
        contentHash: `0x${track.sha256}`,
        // What a marketplace plays: the master, or its MP3 preview when the master is a FLAC.
        animationUrl: `https://gw.example/ipfs/${track.preview?.cid ?? track.cid}`,
        image: track.artworkCid === null ? null : `https://gw.example/ipfs/${track.artworkCid}`,
      });
      expect(row.attributes.length).to.be.greaterThan(0);
    }
    const csv = (await readFile(join(out, "tokens.csv"), "utf8")).trimEnd().split("\n");
    expect(csv[0]).to.equal(
      "token_id,name,description,image,animation_url,animation_mime_type,external_url,content_hash,attributes,chain,chain_id,contract,token_standard,metadata_url,owner,royalty_receiver,royalty_bps,frozen,marketplace_url,opensea_advice",
    );
    // A local chain is not on OpenSea: no slug, no page.
    expect(listings[0]).to.include({ chain: null, chainId: 31337, marketplaceUrl: null });
    expect(csv).to.have.length(5);
    expect(csv[1]).to.include(`,0x${minted.tracks.find((t) => t.tokenId === "1")!.sha256},`);
    const collection = JSON.parse(await readFile(join(out, "collection.json"), "utf8"));
    expect(collection).to.include({ name: "Audit Test" });
    expect(collection.image).to.match(/^https:\/\/gw\.example\/ipfs\/baf/);
    expect(output).to.include("contractURI is not set on chain");
  });

  it("dcmx doctor weighs the deployer's balance against the library's estimated mint gas", async () => {
    const wallet = createWalletClient({ transport: http(node.url) });
    const [funded] = await wallet.getAddresses();
    const check = async (account: `0x${string}`) =>
      (await runDoctor({ env: { DCMX_LIBRARY: env.DCMX_LIBRARY! }, rpc: node.url, account })).find(
        (f) => f.check === "deployer balance",
      )!;
    const rich = await check(funded!);
    expect(rich.status, rich.message).to.equal("ok");
    expect(rich.message).to.match(/minting 4 tracks needs about [1-9]\d+ gas/);
    const empty = await check("0x000000000000000000000000000000000000dEaD");
    expect(empty.status, empty.message).to.equal("fail");
    expect(empty.fix).to.match(/send at least [\d.]+ ETH to 0x000000000000000000000000000000000000dEaD/);
  });

  it("names a deleted S3 object, a corrupt IPFS block and re-pointed metadata, and exits 1", async () => {
    const [deleted, corrupted, repointed, other] = minted.tracks;
    const work = join(dir, "work");

    // Delete one audio object through the S3 API of the embedded server, on its own data directory.
    const s3 = await startLocalS3({ directory: join(work, "s3") });
    try {
      const client = createS3Client(localS3Config(s3));
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: deleted!.storj!.key }));
      client.destroy();
    } finally {
      await s3.stop();
    }

    // Overwrite one block of another track's DAG in the node's on-disk blockstore.
    const stores = NodeStores.open(join(work, "ipfs", NODE_DATABASE));
    const blocks = stores.blockstore;
    const root = CID.parse(corrupted!.cid);
    const leaf = root.code === dagPb.code ? dagPb.decode(await readBlock(blocks, root)).Links[0]!.Hash : root;
    const original = await readBlock(blocks, leaf);
    const flipped = Uint8Array.from(original);
    flipped[flipped.length >> 1]! ^= 0xff;
    blocks.delete(leaf);
    await blocks.put(leaf, flipped);
    stores.close();

    // Point a third token at a fourth token's metadata through the contract's admin path (ERC-4906).
    const wallet = createWalletClient({ transport: http(node.url) });
    const [admin] = await wallet.getAddresses();
    const tokenId = BigInt(repointed!.tokenId!);
    await wallet.writeContract({
      account: admin!,
      chain: null,
      address: minted.chain!.contract as `0x${string}`,
      abi: tracksAbi,
      functionName: "setMetadataDigest",
      args: [tokenId, metadataDigest(other!.metadataCid!)],
    });

    const { code, output, report } = await verify();
    expect(code, output).to.equal(1);
    expect(checkOf(report, deleted!.sha256, "local-s3")).to.include({
      status: "missing",
      locator: deleted!.storj!.key,
    });
    expect(checkOf(report, deleted!.sha256, "ipfs").status).to.equal("ok");
    expect(checkOf(report, corrupted!.sha256, "ipfs")).to.include({
      status: "corrupt",
      locator: corrupted!.cid,
    });
    expect(checkOf(report, corrupted!.sha256, "local-s3").status).to.equal("ok");
    const meta = checkOf(report, repointed!.sha256, "metadata");
    expect(meta.status).to.equal("corrupt");
    expect(meta.locator).to.equal(other!.metadataCid);
    expect(meta.detail).to.include(`chain records ${repointed!.sha256}`);
    // Its audio is not blamed on the providers: without metadata about it there is nothing to fetch.
    const repointedRows = report.tokens.find((t) => t.contentHash === repointed!.sha256)!.checks.slice(1);
    expect(repointedRows.map((c) => c.status)).to.deep.equal(["skipped", "skipped"]);
    // The tokens nobody touched are still fully ok.
    const untouched = report.tokens.find((t) => t.contentHash === other!.sha256)!;
    expect(untouched.checks.every((c) => c.status === "ok")).to.equal(true);
    expect(report.totals).to.include({ ok: 7, missing: 1, corrupt: 2, skipped: 2, unreachable: 0 });
    expect(output).to.match(new RegExp(`#${deleted!.tokenId}\\s+local-s3\\s+missing`));
  });
});
