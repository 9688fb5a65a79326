import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, http, keccak256, toHex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { tracksAbi } from "../../pipeline/chain/tracks-abi.js";
import { RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runDcmx, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { generateLibrary } from "../support/library-generator.js";

/** Hardhat's development accounts (its default mnemonic): #0 deploys and mints, #1 plays a cold admin. */
const developmentKey = (addressIndex: number) =>
  toHex(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex }).getHdKey().privateKey!);
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
const DEPLOYER_KEY = developmentKey(0);
const DEPLOYER = privateKeyToAccount(DEPLOYER_KEY);
const ADMIN_KEY = developmentKey(1);
const ADMIN = privateKeyToAccount(ADMIN_KEY);
const MINTER_ROLE = keccak256(toHex("MINTER_ROLE"));

/**
 * Key separation on a public chain, end to end: a `hardhat node` with Sepolia's chain id, so the pipeline
 * applies its public-chain rules, the README's main job deploying and minting, and `dcmx roles`.
 */
describe("collection roles on a public chain (hardhat node as chain 11155111)", function () {
  this.timeout(240_000);
  let node: HardhatNode;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-roles-"));
    [node] = await Promise.all([
      startHardhatNode({ chainId: 11_155_111 }),
      generateLibrary(join(dir, "album"), 2, { prefix: "Roles" }),
    ]);
  });
  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const envFor = (name: string, extra: Record<string, string> = {}) => ({
    DCMX_LIBRARY: join(dir, "album", "library"),
    DCMX_WORKDIR: join(dir, name),
    LOCALHOST_RPC_URL: node.url,
    IPFS_GATEWAY_PORT: "0",
    // Content reachability on public chains is another rule, with tests of its own.
    DCMX_ALLOW_LOCAL_ONLY: "1",
    ...extra,
  });
  const contractOf = async (workDir: string) =>
    RunReportSchema.parse(JSON.parse(await readFile(join(workDir, "report.json"), "utf8"))).chain!
      .contract as `0x${string}`;
  const client = () => createPublicClient({ transport: http(node.url) });

  it("refuses to deploy with the minting key as admin, naming DCMX_ADMIN and --allow-hot-admin", async () => {
    const run = await runMintLibrary(envFor("hot"));
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.include("would also be the collection's admin");
    expect(run.output).to.include("DCMX_ADMIN");
    expect(run.output).to.include("--allow-hot-admin");
    expect(await client().getTransactionCount({ address: DEPLOYER.address })).to.equal(0);
  });

  it("deploys with DCMX_ADMIN as the only admin and the minting key as minter only; dcmx roles shows it and changes minters", async () => {
    const env = envFor("cold", { DCMX_ADMIN: ADMIN.address });
    const run = await runMintLibrary(env);
    expect(run.code, run.output).to.equal(0);
    const contract = await contractOf(env.DCMX_WORKDIR);
    const read = { address: contract, abi: tracksAbi } as const;
    expect(await client().readContract({ ...read, functionName: "defaultAdmin" })).to.equal(ADMIN.address);
    expect(
      await client().readContract({
        ...read,
        functionName: "hasRole",
        args: [MINTER_ROLE, DEPLOYER.address],
      }),
    ).to.equal(true);
    expect(await client().readContract({ ...read, functionName: "totalSupply" })).to.equal(2n);

    const cli = { LOCALHOST_RPC_URL: node.url, DCMX_WORKDIR: env.DCMX_WORKDIR };
    const shown = await runDcmx(["roles"], cli);
    expect(shown.code, shown.output).to.equal(0);
    expect(shown.output).to.include(`admin:   ${ADMIN.address} (transfers wait 2 day(s))`);
    expect(shown.output).to.include(`minters: ${DEPLOYER.address}`);
    expect(shown.output).not.to.include("warning");

    const newMinter = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    const printed = await runDcmx(["roles", "grant-minter", newMinter], cli);
    expect(printed.code, printed.output).to.equal(0);
    expect(printed.output).to.include(`to:    ${contract}`);
    expect(printed.output).to.match(/data: {2}0x2f2ff15d/); // grantRole(bytes32,address)

    const isMinter = (account: `0x${string}`) =>
      client().readContract({ ...read, functionName: "hasRole", args: [MINTER_ROLE, account] });
    const granted = await runDcmx(["roles", "grant-minter", newMinter], {
      ...cli,
      DCMX_ADMIN_PRIVATE_KEY: ADMIN_KEY,
    });
    expect(granted.code, granted.output).to.equal(0);
    expect(granted.output).not.to.include(ADMIN_KEY.slice(2));
    expect(await isMinter(newMinter)).to.equal(true);

    const byMinter = await runDcmx(["roles", "revoke-minter", newMinter], {
      ...cli,
      DCMX_ADMIN_PRIVATE_KEY: DEPLOYER_KEY,
    });
    expect(byMinter.code, byMinter.output).to.equal(1);
    expect(byMinter.output).to.include(`the collection's admin is ${ADMIN.address}`);
    expect(byMinter.output).not.to.include(DEPLOYER_KEY.slice(2));
    const revoked = await runDcmx(["roles", "revoke-minter", newMinter], {
      ...cli,
      DCMX_ADMIN_PRIVATE_KEY: ADMIN_KEY,
    });
    expect(revoked.code, revoked.output).to.equal(0);
    expect(await isMinter(newMinter)).to.equal(false);
  });

  it("deploys with one key for both roles only when told to, and dcmx roles warns about it", async () => {
    const env = envFor("allowed", { DCMX_ALLOW_HOT_ADMIN: "1" });
    const run = await runMintLibrary(env);
    expect(run.code, run.output).to.equal(0);
    const shown = await runDcmx(["roles"], { LOCALHOST_RPC_URL: node.url, DCMX_WORKDIR: env.DCMX_WORKDIR });
    expect(shown.output).to.include(`admin:   ${DEPLOYER.address}`);
    expect(shown.output).to.include("warning: the admin can also mint");
  });
});
