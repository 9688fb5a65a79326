import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { main } from "../../cli/main.js";
import { resolveCollection } from "../../pipeline/audit/collection-target.js";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import type { Hex } from "../../pipeline/chain/tracks-chain.js";
import { exportCollection } from "../../pipeline/commands/export/marketplace-export.js";
import { Ledger } from "../../pipeline/ledger/ledger.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { StorageSet } from "../../pipeline/storage/storage-set.js";
import { solidImage } from "../support/audio-fixtures.js";
import { freePort, type HardhatNode, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { generateLibrary } from "../support/library-generator.js";
import { OpenSeaStandIn } from "../support/opensea/stand-in.js";

/** Sepolia's chain id: a chain OpenSea lists, on a local `hardhat node`. */
const SEPOLIA = 11155111;
const KEY = "os_test_key_5b1f0c7e2a9d";
/** Hardhat's first default account: the deployer, hence the collection's admin and royalty receiver. */
const ADMIN_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/**
 * `dcmx <args>` in this process with `env` on top of the environment, its console output captured: a
 * child process would spend most of its time loading the CLI again.
 */
async function dcmx(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  const saved = { ...process.env };
  const { log, error } = console;
  const lines: string[] = [];
  Object.assign(process.env, { CI: "true" }, env);
  console.log = console.error = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    return { code: await main(args), output: lines.join("\n") };
  } finally {
    Object.assign(console, { log, error });
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/**
 * `dcmx marketplace sync` against the OpenSea stand-in, after a real mint on a `hardhat node` that calls
 * itself Sepolia: the run's own sync (OPENSEA_API_KEY set) meets scripted rate limits and a 503, the
 * stand-in ingests each token from the chain and the embedded node's gateway, and a second sync sends
 * only the token whose metadata changed.
 */
describe("dcmx marketplace sync (contract test, stand-in)", function () {
  this.timeout(300_000);
  let dir: string;
  let node: HardhatNode;
  let standIn: OpenSeaStandIn;
  let env: Record<string, string>;
  let output: string;
  let contract: Hex;
  let chain: PublicClient;

  const tokenURI = (id: bigint) =>
    chain.readContract({ address: contract, abi: tracksAbi, functionName: "tokenURI", args: [id] });
  const refreshes = (from = 0) =>
    standIn.received
      .slice(from)
      .filter((r) => r.path.endsWith("/refresh") && r.status === 200)
      .map((r) => r.path.split("/").at(-2));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-opensea-"));
    node = await startHardhatNode({ chainId: SEPOLIA });
    const gatewayPort = await freePort();
    standIn = await OpenSeaStandIn.start({
      apiKey: KEY,
      chains: { sepolia: node.url },
      gateway: `http://127.0.0.1:${gatewayPort}`,
      ingestDelayMs: 300,
    });
    standIn.faults
      .next("refresh", { kind: "rate-limit", retryAfter: 1 }, { kind: "rate-limit" })
      .next("get-nft", { kind: "server-error", status: 503 });
    await generateLibrary(dir, 3);
    // Artwork beside the tracks: every token has an image for OpenSea to show.
    await solidImage(join(dir, "library", "cover.png"), 64, 64);
    env = {
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: String(gatewayPort),
      DCMX_ALLOW_LOCAL_ONLY: "1",
      DCMX_ALLOW_HOT_ADMIN: "1",
      OPENSEA_API_KEY: KEY,
      OPENSEA_API_URL: standIn.url,
    };
    const run = await runMintLibrary(env);
    output = run.output;
    expect(run.code, output).to.equal(0);
    const report = RunReportSchema.parse(
      JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")),
    );
    contract = report.chain!.contract as Hex;
    chain = createPublicClient({ transport: http(node.url) }) as PublicClient;
  });
  after(async () => {
    await standIn?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the mint run tells OpenSea about every token and reports what it shows, the FLAC master's through its preview", async () => {
    expect(refreshes().sort()).to.deep.equal(["1", "2", "3"]);
    for (const id of [1n, 2n, 3n]) {
      const nft = standIn.nft("sepolia", contract, String(id));
      expect(
        nft,
        `token ${id}: ${standIn.ingestErrors.get(`sepolia:${contract.toLowerCase()}:${id}`)}`,
      ).to.not.equal(undefined);
      // What the stand-in read from the chain and the gateway, not anything the client sent.
      expect(nft!.metadata_url).to.equal(await tokenURI(id));
      expect(nft!.image_url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/media\/[0-9a-f]{64}$/);
    }
    // The generated library has one FLAC master: OpenSea cannot play FLAC, so its animation_url is the MP3
    // preview, which the stand-in fetched and found playable like the MP3 and OGG tracks.
    const types = [1n, 2n, 3n].map((id) => standIn.nft("sepolia", contract, String(id))!.animation_mime_type);
    expect([...types].sort()).to.deep.equal(["audio/mpeg", "audio/mpeg", "audio/ogg"]);
    expect(output).to.include("OpenSea (sepolia)");
    expect(output).to.not.include("incomplete");
    expect(output).to.include("3/3 refreshed tokens shown");
    expect(output).to.not.include(KEY);
    const ledger = await Ledger.open({ workDir: env.DCMX_WORKDIR! });
    try {
      const synced = await ledger.marketplaceSynced({ chainId: SEPOLIA, contract }, "opensea");
      expect([...synced.keys()].sort()).to.deep.equal(["1", "2", "3"]);
      expect(synced.get("1")).to.equal(await tokenURI(1n));
    } finally {
      await ledger.close();
    }
  });

  it("waits out a 429's Retry-After, retries a 429 without one and a 503", () => {
    expect(standIn.faults.served).to.deep.equal([
      "refresh:rate-limit",
      "refresh:rate-limit",
      "get-nft:server-error",
    ]);
    const calls = standIn.received.filter((r) => r.path.endsWith("/refresh"));
    expect(calls.map((c) => c.status).slice(0, 3)).to.deep.equal([429, 429, 200]);
    expect(calls[1]!.at - calls[0]!.at, "Retry-After: 1 waited out").to.be.at.least(990);
    expect(calls[0]!.path).to.equal(calls[2]!.path);
  });

  it("a refused key is one error naming OPENSEA_API_KEY, with the key in no output", async () => {
    const wrong = "os_wrong_key_93be1d4c70";
    const from = standIn.received.length;
    const run = await dcmx(["marketplace", "sync", "--all"], { ...env, OPENSEA_API_KEY: wrong });
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.include("opensea: credentials refused (HTTP 401)");
    expect(run.output).to.include("OPENSEA_API_KEY");
    expect(run.output).to.not.include(wrong);
    // The first refusal stops the sync: no token after it is tried.
    expect(standIn.received.slice(from)).to.have.length(1);
  });

  describe("with the release's storage open (the embedded gateway OpenSea reads through)", () => {
    let storage: StorageSet;
    let changed: bigint;
    before(async () => {
      storage = await StorageSet.open({ env, workDir: env.DCMX_WORKDIR! });
    });
    after(async () => {
      await storage?.close();
    });

    it("dcmx export rows carry what the chain says of each token", async () => {
      const target = await resolveCollection({ env, rpc: node.url, workDir: env.DCMX_WORKDIR });
      const outDir = join(dir, "export");
      const result = await exportCollection({ target, storage, gateway: "https://ipfs.io", outDir });
      expect(result.skipped).to.deep.equal([]);
      expect(result.listings).to.have.length(3);
      const deployer = privateKeyToAccount(ADMIN_KEY).address;
      const mime: Record<string, string> = {
        "Track 1": "audio/mpeg",
        // A FLAC master: animation_url is its MP3 preview.
        "Track 2": "audio/mpeg",
        "Track 3": "audio/ogg",
      };
      for (const row of result.listings) {
        const id = BigInt(row.tokenId);
        const [receiver, amount] = await chain.readContract({
          address: contract,
          abi: tracksAbi,
          functionName: "royaltyInfo",
          args: [id, 10_000n],
        });
        expect(row).to.deep.include({
          chain: "sepolia",
          chainId: SEPOLIA,
          contract,
          tokenStandard: "ERC721",
          metadataUrl: await tokenURI(id),
          owner: await chain.readContract({
            address: contract,
            abi: tracksAbi,
            functionName: "ownerOf",
            args: [id],
          }),
          royaltyReceiver: receiver,
          royaltyBps: Number(amount),
          frozen: false,
          animationMimeType: mime[row.name],
          marketplaceUrl: `https://testnets.opensea.io/item/sepolia/${contract.toLowerCase()}/${id}`,
        });
        expect(row.openSeaAdvice).to.include(
          "image: the artwork is 64×64 px; OpenSea advises at least 3000×3000",
        );
        expect(
          row.openSeaAdvice.some((a) => a.startsWith("animation_url:")),
          row.name,
        ).to.equal(false);
        // The deployment's defaults, so the reads above are not two copies of one mistake.
        expect([receiver, Number(amount)]).to.deep.equal([deployer, 500]);
      }
      const csv = await readFile(join(outDir, "tokens.csv"), "utf8");
      expect(csv.split("\n")[0]).to.equal(
        "token_id,name,description,image,animation_url,animation_mime_type,external_url,content_hash,attributes,chain,chain_id,contract,token_standard,metadata_url,owner,royalty_receiver,royalty_bps,frozen,marketplace_url,opensea_advice",
      );
    });

    it("after one token's metadata changes, resyncs only that token, once OpenSea shows its new tokenURI", async () => {
      const shown = [1n, 2n, 3n].filter(
        (id) => standIn.nft("sepolia", contract, String(id))!.display_animation_url,
      );
      changed = shown[0]!;
      const digest = await chain.readContract({
        address: contract,
        abi: tracksAbi,
        functionName: "metadataDigestOf",
        args: [shown[1]!],
      });
      const admin = createWalletClient({
        account: privateKeyToAccount(ADMIN_KEY),
        transport: http(node.url),
      });
      const hash = await admin.writeContract({
        address: contract,
        abi: tracksAbi,
        functionName: "setMetadataDigest",
        args: [changed, digest],
        chain: null,
      });
      await chain.waitForTransactionReceipt({ hash });
      const from = standIn.received.length;
      const run = await dcmx(["marketplace", "sync"], env);
      expect(run.code, run.output).to.equal(0);
      expect(refreshes(from)).to.deep.equal([String(changed)]);
      expect(standIn.nft("sepolia", contract, String(changed))!.metadata_url).to.equal(
        await tokenURI(changed),
      );
      expect(run.output).to.include("1/1 refreshed tokens shown; 2 unchanged since the last sync");
    });

    it("says so when OpenSea disables a token", async () => {
      standIn.disable("sepolia", contract, String(changed));
      const run = await dcmx(["marketplace", "sync", "--all"], env);
      expect(run.code, run.output).to.equal(1);
      expect(run.output).to.match(new RegExp(`token ${changed}[^\\n]*: disabled`));
    });
  });
});
