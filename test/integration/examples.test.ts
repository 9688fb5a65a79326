import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";

const ROOT = new URL("../../", import.meta.url).pathname;
const HARDHAT = join(ROOT, "node_modules/.bin/hardhat");
const LIBRARY = join(ROOT, "examples/library");

/** Runs one example as a user would, on the embedded defaults, in a fresh work directory. */
async function runExample(
  file: string,
  via: "tsx" | "hardhat" = "tsx",
): Promise<{ code: number | null; output: string }> {
  const workDir = await mkdtemp(join(tmpdir(), "dcmx-example-"));
  const [command, args] =
    via === "tsx"
      ? [process.execPath, ["--import", "tsx", join(ROOT, "examples", file)]]
      : [HARDHAT, ["run", join("examples", file)]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, CI: "true", DCMX_WORKDIR: workDir, IPFS_GATEWAY_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  await rm(workDir, { recursive: true, force: true });
  return { code, output };
}

const sha256Of = async (file: string) =>
  createHash("sha256")
    .update(await readFile(join(LIBRARY, file)))
    .digest("hex");

/** Every file in examples/ (but the library generator) runs on the embedded defaults and says what it did. */
describe("examples", function () {
  this.timeout(120_000);

  it("upload-single-track.ts prints the Storj and IPFS URLs and the metadata URL", async () => {
    const { code, output } = await runExample("upload-single-track.ts");
    expect(code, output).to.equal(0);
    expect(output).to.include(`Content hash: ${await sha256Of("01 Opening.mp3")}`);
    expect(output).to.match(/local-s3 URL: http:\/\/127\.0\.0\.1:\d+\/dcmx-music\/audio\/[0-9a-f]{64}\.mp3/);
    expect(output).to.match(/IPFS CID: baf[a-z0-9]+/);
    expect(output).to.match(/NFT Metadata: ipfs:\/\/bafkrei[a-z0-9]+/);
  });

  it("upload-library.ts uploads the five sample tracks", async () => {
    const { code, output } = await runExample("upload-library.ts");
    expect(code, output).to.equal(0);
    expect(output).to.include("Uploaded: 5/5 tracks");
    expect(output).to.match(/Total size: \d+\.\d\d MB/);
  });

  it("upload-with-metadata-file.ts stores every track with its metadata", async () => {
    const { code, output } = await runExample("upload-with-metadata-file.ts");
    expect(code, output).to.equal(0);
    const lines = output.split("\n").filter((l) => /: stored, metadata ipfs:\/\/bafkrei/.test(l));
    expect(lines).to.have.length(5);
    expect(output).to.include("03 Night Bus.ogg: stored");
  });

  it("mint-after-upload.ts mints the track with its SHA-256 on-chain, then corrects its metadata (ERC-4906)", async () => {
    const { code, output } = await runExample("mint-after-upload.ts", "hardhat");
    expect(code, output).to.equal(0);
    expect(output).to.match(/Token 1: tokenURI ipfs:\/\/bafkrei[a-z0-9]+/);
    expect(output).to.include(`Content hash on-chain: 0x${await sha256Of("02 Drift.flac")}`);
    const uri = /tokenURI (\S+)/.exec(output)![1];
    expect(output).to.include(`NFT Metadata: ${uri}`);
    expect(output).to.include("MetadataUpdate events for token 1: 1");
    const corrected = /Corrected tokenURI: (ipfs:\/\/bafkrei[a-z0-9]+)/.exec(output);
    expect(corrected, output).to.not.equal(null);
    expect(corrected![1]).to.not.equal(uri);
  });

  it("streaming-url.ts streams the same bytes from the signed Storj URL and the IPFS gateway", async () => {
    const { code, output } = await runExample("streaming-url.ts");
    expect(code, output).to.equal(0);
    expect(output).to.match(/Signed URL \(1 hour\): http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Expires=3600/);
    expect(output).to.include("Storj: HTTP 200, same bytes as minted");
    expect(output).to.include("IPFS: HTTP 200, same bytes as minted");
  });
});
