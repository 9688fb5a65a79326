import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, http, parseAbiItem } from "viem";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { generateLibrary } from "../support/library-generator.js";

/**
 * The README's main command, end to end, as separate processes against a real `hardhat node`, with the
 * embedded local S3 and IPFS node keeping their data in each scenario's work directory.
 */
describe("pipeline end to end (hardhat node)", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-e2e-"));
    node = await startHardhatNode();
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const envFor = (name: string, batch = 8) => ({
    DCMX_LIBRARY: join(dir, name, "library"),
    DCMX_WORKDIR: join(dir, name, "work"),
    LOCALHOST_RPC_URL: node.url,
    IPFS_GATEWAY_PORT: "0",
    DCMX_MINT_BATCH: String(batch),
  });
  const readReport = async (env: { DCMX_WORKDIR: string }) =>
    RunReportSchema.parse(JSON.parse(await readFile(join(env.DCMX_WORKDIR, "report.json"), "utf8")));

  /** Every track has exactly one token on chain, whose tokenURI is the metadata CID we pinned. */
  async function assertMintedExactlyOnce(report: Awaited<ReturnType<typeof readReport>>, expected: number) {
    const client = createPublicClient({ transport: http(node.url) });
    const contract = report.chain!.contract as `0x${string}`;
    expect(
      await client.readContract({ address: contract, abi: tracksAbi, functionName: "totalSupply" }),
    ).to.equal(BigInt(expected));
    const logs = await client.getLogs({
      address: contract,
      event: parseAbiItem(
        "event TrackMinted(uint256 indexed tokenId, bytes32 indexed contentHash, bytes32 metadataDigest)",
      ),
      fromBlock: 0n,
    });
    expect(logs).to.have.length(expected);
    expect(new Set(logs.map((l) => l.args.contentHash)).size).to.equal(expected);
    for (const track of report.tracks) {
      expect(track.status, `${track.file}: ${track.error}`).to.equal("minted");
      const tokenId = await client.readContract({
        address: contract,
        abi: tracksAbi,
        functionName: "tokenOfContentHash",
        args: [`0x${track.sha256}`],
      });
      expect(tokenId.toString()).to.equal(track.tokenId);
      const uri = await client.readContract({
        address: contract,
        abi: tracksAbi,
        functionName: "tokenURI",
        args: [tokenId],
      });
      expect(uri).to.equal(`ipfs://${track.metadataCid}`);
    }
  }

  it("mints a library of 20 tracks in mixed formats, then a re-run makes no upload and no transaction", async () => {
    await generateLibrary(join(dir, "main"), 20);
    const env = envFor("main");
    const first = await runMintLibrary(env);
    expect(first.code, first.output).to.equal(0);
    expect(first.output).to.include("Successful: 20/20 tracks");
    const report = await readReport(env);
    expect(report.totals.mintTransactions).to.equal(3);
    await assertMintedExactlyOnce(report, 20);

    const again = await runMintLibrary(env);
    expect(again.code, again.output).to.equal(0);
    expect(again.output).to.include("no upload and no transaction was made");
    const rerun = await readReport(env);
    expect(rerun.totals.uploadedBytes).to.equal(0);
    expect(rerun.totals.mintTransactions).to.equal(0);
  });

  it("on Ctrl-C finishes in-flight writes, exits 130, and the next run completes", async () => {
    await generateLibrary(join(dir, "sigint"), 10, { prefix: "Interrupted" });
    const env = envFor("sigint", 2);
    const interrupted = await runMintLibrary(env, { signal: "SIGINT", onOutput: "✓ Minted" });
    expect(interrupted.code, interrupted.output).to.equal(130);
    expect(interrupted.output).to.include("progress is saved in the ledger");
    const resumed = await runMintLibrary(env);
    expect(resumed.code, resumed.output).to.equal(0);
    await assertMintedExactlyOnce(await readReport(env), 10);
  });

  it("survives SIGKILL at several points and ends with every track minted exactly once", async () => {
    await generateLibrary(join(dir, "crash"), 12, { prefix: "Crash" });
    const env = envFor("crash", 3);
    const kills = [];
    // Kill points by what the run has printed, so they land in the scan, right after the deployment, after
    // the first mint and half way, however slow the machine is.
    for (const onOutput of ["Scanning", "Deployed the collection", "✓ Minted", "[6/12]"]) {
      const run = await runMintLibrary(env, { onOutput });
      kills.push(run.signal ?? `exit ${run.code}`);
    }
    let last = await runMintLibrary(env);
    for (let i = 0; i < 3 && last.code !== 0; i++) last = await runMintLibrary(env);
    expect(last.code, last.output).to.equal(0);
    expect(kills).to.include("SIGKILL");
    const report = await readReport(env);
    await assertMintedExactlyOnce(report, 12);
  });
});
