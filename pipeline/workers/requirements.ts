import { statfs } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/** What decides whether workers on several machines can share a catalog. */
export interface WorkerSetup {
  ledger: "sqlite" | "postgres";
  /** The S3 primary is this work directory's embedded server. */
  embeddedS3: boolean;
  /** Remote IPFS backends configured (the embedded node serves one machine). */
  remoteBackups: number;
  includeIpfsBackup: boolean;
  /** Hardhat's in-process chain (one process's; undefined when not known yet, as in doctor). */
  inProcessChain?: boolean;
}

export interface WorkerRequirement {
  /** What sharing needs, said the same whether it is there or not. */
  need: string;
  field: string;
  problem: string;
  hint: string;
}

/**
 * Everything a worker stores or reads must be where every other worker finds it: one row per thing a
 * worker would otherwise keep to itself. The run refuses to start as a worker with the first row unmet;
 * the plan and doctor list them all.
 */
const RULES: Array<WorkerRequirement & { unmet(setup: WorkerSetup): boolean | undefined }> = [
  {
    unmet: (s) => s.ledger !== "postgres",
    need: "one PostgreSQL ledger every worker shares",
    field: "DCMX_DATABASE_URL",
    problem: "workers share one PostgreSQL ledger; the SQLite ledger is one work directory's",
    hint: "set DCMX_DATABASE_URL=postgres://user:password@host:5432/database on every worker (docs/LABELS.md)",
  },
  {
    unmet: (s) => s.embeddedS3,
    need: "one S3 bucket every worker uses",
    field: "STORJ_ACCESS_KEY",
    problem: "the embedded S3 server keeps its objects in one worker's work directory",
    hint: "set the S3 variables (STORJ_ACCESS_KEY, STORJ_SECRET_KEY, STORJ_BUCKET, STORJ_ENDPOINT) to one bucket every worker uses",
  },
  {
    unmet: (s) => s.includeIpfsBackup && s.remoteBackups === 0,
    need: "a remote IPFS backend every worker pushes to",
    field: "KUBO_RPC_URL",
    problem: "the IPFS backup would be each worker's embedded node, which only its own machine serves",
    hint: "configure a remote IPFS backend every worker pushes to (Kubo, IPFS Cluster, Filebase, Pinata: docs/STORAGE_SETUP.md), or INCLUDE_IPFS_BACKUP=false with DCMX_REQUIRE=storj",
  },
  {
    unmet: (s) => s.inProcessChain,
    need: "a chain every worker reaches",
    field: "--network",
    problem: "Hardhat's in-process chain lives and dies with one process",
    hint: "run workers against a shared chain: --network localhost (a `hardhat node`) or a real network",
  },
];

/** Every requirement with whether `setup` meets it (undefined: not known yet, as the chain in doctor). */
export function workerRequirements(setup: WorkerSetup): Array<WorkerRequirement & { met?: boolean }> {
  return RULES.map(({ unmet, ...requirement }) => {
    const missing = unmet(setup);
    return { ...requirement, met: missing === undefined ? undefined : !missing };
  });
}

export function unmetWorkerRequirements(setup: WorkerSetup): WorkerRequirement[] {
  return workerRequirements(setup)
    .filter((requirement) => requirement.met === false)
    .map(({ met: _met, ...requirement }) => requirement);
}

/** Refuses to run as a worker where other workers could not see what this one does. */
export function assertWorkerSetup(setup: WorkerSetup): void {
  const [first] = unmetWorkerRequirements(setup);
  if (first === undefined) return;
  throw new ConfigError("WORKER_SETUP", `cannot run as a worker: ${first.problem}`, {
    field: first.field,
    hint: first.hint,
  });
}

/**
 * File systems whose files other machines can read (statfs magic numbers, linux/magic.h). Anything else is
 * taken as a local disk: workers on other machines would not see the library.
 */
const SHARED_FILE_SYSTEMS: Record<number, string> = {
  26985: "nfs",
  4283649346: "cifs",
  4266872130: "smb2",
  12805120: "ceph",
  16914839: "9p",
  1702057286: "fuse",
  1196443219: "gpfs",
  198183888: "lustre",
};

/** What a library on a local disk means for workers on several machines, and what to do. */
export const LOCAL_LIBRARY =
  "workers on other machines cannot read it (mount it from NFS, SMB or CephFS at the same path on each)";

/** Whether the library sits on a file system other machines can mount, by its statfs type. */
export async function libraryIsShared(library: string): Promise<boolean> {
  const { type } = await statfs(library);
  return SHARED_FILE_SYSTEMS[type >>> 0] !== undefined;
}
