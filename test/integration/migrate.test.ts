import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { type AuditReport, AuditReportSchema } from "../../pipeline/audit/audit-report.js";
import { verifyCid } from "../../pipeline/content/index.js";
import { createS3Client } from "../../pipeline/providers/s3/client.js";
import { localS3Config, startLocalS3 } from "../../pipeline/providers/s3/local-s3.js";
import { type RunReport, RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runDcmx, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { startNftStorageServer } from "../support/ipfs-nft-storage-server.js";
import { ledgerFileText, ledgerTracks } from "../support/ledger-snapshot.js";
import { generateLibrary } from "../support/library-generator.js";

const TOKEN = "migrate-test-token-5f0c";

/** The counts of a migration's summary line. */
function summaryOf(output: string) {
  const match = output.match(
    /Migration to (\S+): (\d+) objects — (\d+) copied \([^)]*\), (\d+) already there, (\d+) failed, (\d+) waiting/,
  );
  expect(match, output).to.not.equal(null);
  const [, destination, objects, copied, present, failed, pending] = match!;
  return {
    destination,
    objects: Number(objects),
    copied: Number(copied),
    present: Number(present),
    failed: Number(failed),
    pending: Number(pending),
  };
}

/**
 * `dcmx migrate` and `dcmx verify --repair` on a library the README's main job minted on a `hardhat node`
 * (embedded local S3 and IPFS node), moved to a self-hosted NFT.Storage-compatible deployment
 * (contract test, stand-in: it computes every CID from the CAR it receives and counts uploads per CID).
 */
describe("dcmx migrate and verify --repair (hardhat node, NFT.Storage stand-in)", function () {
  this.timeout(180_000);
  let node: HardhatNode;
  let service: Awaited<ReturnType<typeof startNftStorageServer>>;
  let dir: string;
  let env: Record<string, string>;
  let withTarget: Record<string, string>;
  let minted: RunReport;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-migrate-"));
    [node, service] = await Promise.all([
      startHardhatNode(),
      startNftStorageServer({ token: TOKEN }),
      generateLibrary(dir, 4),
    ]);
    env = {
      DCMX_LIBRARY: join(dir, "library"),
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
    };
    withTarget = {
      ...env,
      NFT_STORAGE_TOKEN: TOKEN,
      NFT_STORAGE_ENDPOINT: service.url,
      NFT_STORAGE_GATEWAY_URL: service.url,
    };
    const run = await runMintLibrary(env);
    expect(run.code, run.output).to.equal(0);
    minted = RunReportSchema.parse(JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")));
    expect(minted.tracks.filter((t) => t.tokenId !== null)).to.have.length(4);
  });
  after(async () => {
    await Promise.all([node?.stop(), service?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function verify(
    args: string[] = [],
  ): Promise<{ code: number | null; output: string; report: AuditReport }> {
    const json = join(dir, `audit-${Date.now()}.json`);
    const result = await runDcmx(["verify", "--json", json, ...args], withTarget);
    const report = AuditReportSchema.parse(JSON.parse(await readFile(json, "utf8")));
    return { ...result, report };
  }

  it("names the configured providers when --to is not one of them", async () => {
    const run = await runDcmx(["migrate", "--to", "pinata"], withTarget);
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.include('"pinata" is not a configured storage provider');
    expect(run.output).to.include("configured here: local-s3, ipfs, nft-storage");
    expect(run.output).to.not.include(TOKEN);
  });

  it("copies every object with verified CIDs, resumes after SIGKILL without sending any twice, and reads from a provider once the library is gone", async () => {
    const audio = minted.tracks.map((t) => ({ cid: t.cid, sha256: t.sha256 }));
    const metadata = minted.tracks.map((t) => t.metadataCid!);
    // The FLAC's MP3 preview is part of the release too.
    const previews = minted.tracks.flatMap((t) => (t.preview ? [t.preview.cid] : []));
    expect(previews).to.have.length(1);
    const expected = [...audio.map((a) => a.cid), ...previews, ...metadata].sort();

    // One object at a time, killed as soon as the first one is reported copied.
    const killed = await runDcmx(
      ["migrate", "--to", "nft-storage"],
      { ...withTarget, MAX_CONCURRENT_UPLOADS: "1" },
      { onOutput: "✓ Copied:" },
    );
    expect(killed.signal, killed.output).to.equal("SIGKILL");
    const sentBeforeKill = service.uploads.size;
    expect(sentBeforeKill).to.be.within(1, expected.length - 1);

    // A copy the killed run had downloaded but not sent yet stays behind until the next run clears it.
    const leftover = join(dir, "work", "scratch", "downloaded-before-kill");
    await mkdir(dirname(leftover), { recursive: true });
    await writeFile(leftover, "partial");

    // The library's files are gone: audio can only come from a provider (--from names one), verified.
    await rm(join(dir, "library"), { recursive: true, force: true });
    const resumed = await runDcmx(["migrate", "--to", "nft-storage", "--from", "local-s3"], withTarget);
    expect(resumed.code, resumed.output).to.equal(0);
    const summary = summaryOf(resumed.output);
    expect(summary).to.include({ destination: "nft-storage", objects: 9, failed: 0, pending: 0 });
    expect(summary.copied + summary.present).to.equal(9);
    expect(summary.copied).to.be.at.least(expected.length - sentBeforeKill);
    expect(resumed.output).to.match(/Copied from: .*local-s3 [1-9]/);
    expect(resumed.output).to.include("Tokens need no change");
    expect(existsSync(leftover)).to.equal(false);
    const tracks = await ledgerTracks(join(dir, "work"));
    const onTarget = tracks.flatMap((t) => t.stored.filter((o) => o.provider === "nft-storage"));
    expect(new Set(onTarget.map((o) => `${o.kind}:${o.sha256}`)).size).to.equal(9);
    const ledger = await ledgerFileText(join(dir, "work"));
    for (const text of [killed.output, resumed.output, ledger]) expect(text).to.not.include(TOKEN);

    // Every object once, under the CID the stand-in computed from the CAR it received.
    expect([...service.uploads.keys()].sort()).to.deep.equal(expected);
    expect(
      [...service.uploads.values()].every((n) => n === 1),
      JSON.stringify([...service.uploads]),
    ).to.equal(true);
    for (const { cid, sha256 } of audio) {
      const served = Buffer.from(await (await fetch(`${service.url}/ipfs/${cid}`)).arrayBuffer());
      expect(createHash("sha256").update(served).digest("hex")).to.equal(sha256);
    }
    for (const cid of metadata) {
      const served = new Uint8Array(await (await fetch(`${service.url}/ipfs/${cid}`)).arrayBuffer());
      await verifyCid(cid, served);
    }

    // Journaled: a third run sends nothing.
    const again = await runDcmx(["migrate", "--to", "nft-storage"], withTarget);
    expect(again.code, again.output).to.equal(0);
    expect(summaryOf(again.output)).to.include({ copied: 0, present: 9 });
    expect([...service.uploads.values()].every((n) => n === 1)).to.equal(true);
  });

  it("dcmx verify then passes with the audio on the new backend", async () => {
    const { code, output, report } = await verify();
    expect(code, output).to.equal(0);
    for (const token of report.tokens) {
      expect(token.checks.find((c) => c.target === "nft-storage")).to.include({ status: "ok" });
    }
    expect(report.totals).to.include({ ok: 16, missing: 0, corrupt: 0 });
  });

  it("verify --repair restores an object a provider lost and replaces a corrupted one, then passes", async () => {
    const [lost, corrupted] = minted.tracks;
    const deleted = await fetch(`${service.url}/${lost!.cid}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(deleted.status).to.equal(200);
    await flipStoredByte(join(dir, "work", "s3"), corrupted!.storj!.key);

    const broken = await verify();
    expect(broken.code, broken.output).to.equal(1);
    expect(checkOf(broken.report, lost!.sha256, "nft-storage").status).to.equal("missing");
    expect(checkOf(broken.report, corrupted!.sha256, "local-s3").status).to.equal("corrupt");

    const repaired = await verify(["--repair"]);
    expect(repaired.code, repaired.output).to.equal(0);
    const restored = checkOf(repaired.report, lost!.sha256, "nft-storage");
    expect(restored.status).to.equal("ok");
    expect(restored.repair?.was).to.equal("missing");
    expect(restored.repair?.from).to.be.oneOf(["local-s3", "ipfs"]);
    expect(checkOf(repaired.report, corrupted!.sha256, "local-s3")).to.deep.include({ status: "ok" });
    expect(checkOf(repaired.report, corrupted!.sha256, "local-s3").repair).to.deep.include({
      was: "corrupt",
    });
    expect(repaired.report.totals).to.include({ ok: 16, missing: 0, corrupt: 0 });
    expect(repaired.output).to.match(
      /nft-storage\s+ok\s+\S+\s+repaired from (local-s3|ipfs) \(was missing\)/,
    );
    expect(repaired.output).to.include("Repair: 2 of 2 failing checks ok after re-upload");
    // Sent once more to the stand-in, and only the object it lost.
    expect(service.uploads.get(lost!.cid)).to.equal(2);
    expect([...service.uploads.values()].filter((n) => n > 1)).to.have.length(1);

    const after = await verify();
    expect(after.code, after.output).to.equal(0);
  });
});

const checkOf = (report: AuditReport, sha256: string, target: string) =>
  report.tokens.find((t) => t.contentHash === sha256)!.checks.find((c) => c.target === target)!;

/** Bit rot in the embedded S3: same key, size and metadata, one byte flipped, written through its S3 API. */
async function flipStoredByte(directory: string, key: string): Promise<void> {
  const s3 = await startLocalS3({ directory });
  const client = createS3Client(localS3Config(s3));
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const bytes = await object.Body!.transformToByteArray();
    bytes[bytes.length >> 1]! ^= 0xff;
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: bytes,
        ContentType: object.ContentType,
        Metadata: object.Metadata,
      }),
    );
  } finally {
    client.destroy();
    await s3.stop();
  }
}
