import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { runDoctor } from "../../pipeline/commands/doctor/run-doctor.js";
import { checkWorkers } from "../../pipeline/commands/doctor/worker-checks.js";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { ConfigError } from "../../pipeline/errors.js";
import { planRun } from "../../pipeline/run/plan.js";
import { assertWorkerSetup, workerRequirements } from "../../pipeline/workers/requirements.js";

const LIBRARY = new URL("../../examples/library", import.meta.url).pathname;
const DATABASE_URL = "postgres://dcmx:readiness-pw-5512@127.0.0.1:9/dcmx";

/** Nothing listens on these: neither the plan nor doctor's workers section may contact a provider. */
const SHARED = {
  DCMX_DATABASE_URL: DATABASE_URL,
  STORJ_ACCESS_KEY: "readiness-access-key",
  STORJ_SECRET_KEY: "readiness-secret-key-4410",
  STORJ_ENDPOINT: "http://127.0.0.1:9",
  KUBO_RPC_URL: "http://127.0.0.1:9",
  KUBO_GATEWAY_URL: "http://127.0.0.1:9",
};

/**
 * The plan and doctor list what workers need from the one rules table a worker enforces at start
 * (`pipeline/workers/requirements.ts`), met or not, and whether other machines can read the library.
 */
describe("worker requirements in the plan and doctor", function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-worker-readiness-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const envOf = (vars: Record<string, string>) => ({
    DCMX_LIBRARY: LIBRARY,
    DCMX_WORKDIR: join(dir, "work"),
    ...vars,
  });
  const plan = async (vars: Record<string, string>, inProcess?: boolean) => {
    const env = envOf(vars);
    const network =
      inProcess === undefined ? undefined : { name: "localhost", exposure: "local" as const, inProcess };
    return (await planRun({ config: loadPipelineConfig(env), env, network })).lines.join("\n");
  };

  it("the rules: a worker refuses the first unmet one by its variable; an unknown chain is neither met nor unmet", () => {
    const alone = {
      ledger: "sqlite",
      embeddedS3: true,
      remoteBackups: 0,
      includeIpfsBackup: true,
    } as const;
    expect(workerRequirements(alone).map((r) => [r.field, r.met])).to.deep.equal([
      ["DCMX_DATABASE_URL", false],
      ["STORJ_ACCESS_KEY", false],
      ["KUBO_RPC_URL", false],
      ["--network", undefined],
    ]);
    expect(() => assertWorkerSetup(alone))
      .to.throw(ConfigError)
      .with.property("message")
      .that.includes("DCMX_DATABASE_URL");
    const noBackup = { ...alone, ledger: "postgres", embeddedS3: false, includeIpfsBackup: false } as const;
    expect(() => assertWorkerSetup({ ...noBackup, inProcessChain: false })).not.to.throw();
    expect(() => assertWorkerSetup({ ...noBackup, inProcessChain: true }))
      .to.throw(ConfigError)
      .with.property("message")
      .that.includes("--network");
  });

  it("the dry run of DCMX_WORKERS=3 on embedded defaults lists every unmet requirement with its variable and fix", async () => {
    const lines = await plan({ DCMX_WORKERS: "3" });
    expect(lines).to.include("  Workers: 3 on this machine (DCMX_WORKERS), each needs:\n");
    expect(lines).to.match(
      /\n {4}✗ one PostgreSQL ledger every worker shares — DCMX_DATABASE_URL: .*; fix: set DCMX_DATABASE_URL=postgres:/,
    );
    expect(lines).to.match(/\n {4}✗ one S3 bucket every worker uses — STORJ_ACCESS_KEY: /);
    expect(lines).to.match(/\n {4}✗ a remote IPFS backend every worker pushes to — KUBO_RPC_URL: /);
    // No network given: the plan is for the in-process chain, which no second process reaches.
    expect(lines).to.match(/\n {4}✗ a chain every worker reaches — --network: /);
  });

  it("the dry run of a worker set up to share says each requirement is met, and that the library is on a local disk", async () => {
    const lines = await plan({ ...SHARED, DCMX_WORKER: "true" }, false);
    expect(lines).to.include("  Worker: one of several sharing the catalog (DCMX_WORKER); each needs:\n");
    for (const need of [
      "one PostgreSQL ledger every worker shares",
      "one S3 bucket every worker uses",
      "a remote IPFS backend every worker pushes to",
      "a chain every worker reaches",
    ])
      expect(lines).to.include(`    ✓ ${need}\n`);
    expect(lines).to.not.include("✗");
    expect(lines).to.include(
      "    ! the library is on a local disk: workers on other machines cannot read it (mount it from NFS, SMB or CephFS",
    );
    expect(lines).to.not.include("readiness-pw-5512");
  });

  it("a dry run alone prints no workers section", async () => {
    const lines = await plan({});
    expect(lines).to.not.match(/Workers?:/);
  });

  it("doctor fails a configured worker's unmet requirements, naming the variable and the fix", async () => {
    const findings = await runDoctor({ env: envOf({ DCMX_WORKER: "true" }), envFile: join(dir, "none.env") });
    const ledger = findings.find((f) => f.check === "workers (DCMX_DATABASE_URL)")!;
    expect(ledger).to.deep.include({ status: "fail" });
    expect(ledger.message).to.include("SQLite ledger");
    expect(ledger.fix).to.include("DCMX_DATABASE_URL=postgres://");
    expect(findings.find((f) => f.check === "workers (STORJ_ACCESS_KEY)")!.status).to.equal("fail");
    // Without --rpc doctor cannot tell which chain the worker's --network is.
    expect(findings.find((f) => f.check === "workers (--network)")).to.deep.include({
      status: "info",
      message: "a chain every worker reaches: not checked (pass --rpc to check the chain)",
    });
    expect(findings.find((f) => f.check === "workers (library)")!.status).to.equal("warn");
  });

  it("doctor says what a run alone would need to share, failing nothing", async () => {
    const findings = await runDoctor({ env: envOf({}), envFile: join(dir, "none.env") });
    const workers = findings.filter((f) => f.check.startsWith("workers"));
    expect(workers.map((f) => f.check)).to.deep.equal([
      "workers",
      "workers (DCMX_DATABASE_URL)",
      "workers (STORJ_ACCESS_KEY)",
      "workers (KUBO_RPC_URL)",
      "workers (--network)",
      "workers (library)",
    ]);
    expect(workers.filter((f) => f.status !== "info")).to.deep.equal([]);
    expect(workers[0]!.message).to.include("not configured (DCMX_WORKER, DCMX_WORKERS)");
  });

  it("doctor passes workers on this machine that share everything (the chain given by --rpc)", async () => {
    const env = envOf({ ...SHARED, DCMX_WORKERS: "2" });
    const findings = await checkWorkers(env, loadPipelineConfig(env), false);
    expect(findings.map((f) => [f.check, f.status])).to.deep.equal([
      ["workers", "info"],
      ["workers (DCMX_DATABASE_URL)", "ok"],
      ["workers (STORJ_ACCESS_KEY)", "ok"],
      ["workers (KUBO_RPC_URL)", "ok"],
      ["workers (--network)", "ok"],
      // One machine reads its own disk: said, not warned.
      ["workers (library)", "info"],
    ]);
    expect(findings.at(-1)!.message).to.include("fine for workers on this machine");
  });
});
