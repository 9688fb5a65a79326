import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";

/**
 * Memory is a benchmark target (`npm run bench:pipeline`), but which packages a default run loads is a
 * fact a test can hold: each of these costs tens of MB and a run on embedded defaults needs none of them
 * until something asks for it.
 */
const NOT_LOADED_BY_DEFAULT = [
  "libp2p", // helia's index loads it for createHelia; the light node does not use it
  "@helia/bitswap",
  "@helia/verified-fetch", // the gateway loads it with its first request, or when `dcmx serve` readies it
  "@storacha/client",
  "nft.storage",
  "@ipfs-shipyard/pinning-service-client",
];

describe("storage footprint on embedded defaults", () => {
  it("loads no network stack or remote client until the gateway is readied to serve", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "dcmx-footprint-"));
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", join(import.meta.dirname, "../support/loaded-packages.ts"), workDir],
        { timeout: 60_000 },
      );
      const phases = Object.fromEntries(
        stdout
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as { phase: string; packages: string[] })
          .map(({ phase, packages }) => [phase, packages]),
      );
      // The trace sees the packages the default run does use, so an empty list cannot pass for a clean one.
      expect(phases.opened).to.include.members(["@helia/unixfs", "blockstore-core", "@aws-sdk/client-s3"]);
      expect(phases.opened.filter((name: string) => NOT_LOADED_BY_DEFAULT.includes(name))).to.deep.equal([]);
      expect(phases.warmed).to.include("@helia/verified-fetch");
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
