import { resolve } from "node:path";
import { z } from "zod";
import { CidProfileSchema, DEFAULT_CID_PROFILE } from "../content/types.js";
import { DEFAULT_PREVIEW_FORMAT, type PreviewFormat, PreviewFormatSchema } from "../preview/formats.js";
import { registerSecret } from "../util/secrets.js";
import { parseEnv } from "./env.js";
import { envBoolean, envChoice, envInt, envString } from "./env-values.js";

/**
 * DCMX_REQUIRE's spellings: `storj` and `ipfs`, documented from the start, and the role names `primary` and
 * `local-ipfs` (storage/routing.ts maps each to its role).
 */
const RequireNameSchema = z.enum(["storj", "ipfs", "primary", "local-ipfs"]);
export type RequireName = z.infer<typeof RequireNameSchema>;

/**
 * The pipeline's own settings, from DCMX_* variables and the original design's upload settings. Provider
 * credentials are not here: each provider validates its own variables.
 */
export const PipelineEnvSchema = z.object({
  DCMX_LIBRARY: envString(),
  DCMX_ARTWORK_DIR: envString(),
  DCMX_METADATA: envString(),
  DCMX_WORKDIR: envString(),
  /** PostgreSQL for a ledger shared by workers; unset, the ledger is SQLite in the work directory. */
  DCMX_DATABASE_URL: envString().pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "expected a postgres://user:password@host:5432/database URL")
      .optional(),
  ),
  DCMX_REPORT: envString(),
  DCMX_CONTRACT: envString().pipe(
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte contract address")
      .optional(),
  ),
  DCMX_RECIPIENT: envString().pipe(
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte account address")
      .optional(),
  ),
  /** Admin of a newly deployed collection (a Safe, say); the minting key then holds only MINTER_ROLE. */
  DCMX_ADMIN: envString().pipe(
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte account address")
      .optional(),
  ),
  DCMX_ALLOW_HOT_ADMIN: envBoolean(false),
  DCMX_REQUIRE: envString().transform((value, ctx) => {
    const names = (value ?? "ipfs")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const parsed = z.array(RequireNameSchema).min(1).safeParse(names);
    if (!parsed.success) {
      ctx.addIssue({
        code: "custom",
        message: `expected a comma-separated list of ${RequireNameSchema.options.join(", ")}; got "${value}"`,
      });
      return z.NEVER;
    }
    return [...new Set(parsed.data)];
  }),
  DCMX_MINT_BATCH: envInt(50, 1, 200),
  /** This process is one of several workers sharing a PostgreSQL ledger (`dcmx worker`). */
  DCMX_WORKER: envBoolean(false),
  /** Worker processes `mint-library` starts on this machine (each one a DCMX_WORKER). */
  DCMX_WORKERS: envInt(1, 1, 64),
  /** How long a worker's claims and mint lease outlive its last heartbeat (it renews a few times a lease). */
  DCMX_WORKER_LEASE_SECONDS: envInt(30, 2, 3600),
  DCMX_CID_PROFILE: envString().pipe(CidProfileSchema.optional()),
  MAX_CONCURRENT_UPLOADS: envInt(5, 1, 64),
  INCLUDE_IPFS_BACKUP: envBoolean(true),
  DCMX_ALLOW_LOCAL_ONLY: envBoolean(false),
  DCMX_PREVIEW_FORMAT: envChoice(PreviewFormatSchema.options, DEFAULT_PREVIEW_FORMAT),
  DCMX_FFMPEG: envString(),
});

export interface PipelineConfig {
  library: string;
  artworkDir?: string;
  metadataFile?: string;
  workDir: string;
  /** The shared PostgreSQL ledger (a secret: it holds a password); undefined: SQLite in `workDir`. */
  databaseUrl?: string;
  reportPath: string;
  contract?: `0x${string}`;
  recipient?: `0x${string}`;
  /** Admin of a collection this run deploys; default the minting key (refused on public chains). */
  admin?: `0x${string}`;
  /** Accept the minting key as admin on a public chain. */
  allowHotAdmin: boolean;
  /** What must hold a track's audio before it may be minted (DCMX_REQUIRE, as spelled: storage/routing.ts). */
  require: RequireName[];
  mintBatchSize: number;
  /** One of several workers sharing the PostgreSQL ledger: claims files, shares the minter (`runPipeline`). */
  worker: boolean;
  /** Worker processes to start on this machine instead of running alone. */
  workers: number;
  /** Lifetime of a worker's claims and mint lease without a heartbeat, in milliseconds. */
  workerLeaseMs: number;
  cidProfile: z.infer<typeof CidProfileSchema>;
  maxConcurrentUploads: number;
  includeIpfsBackup: boolean;
  /**
   * Mint on a public network even when no remote IPFS backend holds a track (its token then points at
   * content only this machine serves).
   */
  allowLocalOnly: boolean;
  /** How previews of masters OpenSea cannot play (FLAC, AIFF, M4A) are encoded. */
  previewFormat: PreviewFormat;
  /** The ffmpeg that encodes them: a path, or a name looked up on the PATH. */
  ffmpeg: string;
}

export const DEFAULT_LIBRARY = "examples/library";
export const DEFAULT_WORKDIR = ".dcmx";

/** Reads the pipeline settings; `overrides` (CLI flags, task options, API arguments) win over the environment. */
export function loadPipelineConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<PipelineConfig> = {},
): PipelineConfig {
  const e = parseEnv(PipelineEnvSchema, env);
  registerDatabasePassword(e.DCMX_DATABASE_URL);
  const workDir = resolve(overrides.workDir ?? e.DCMX_WORKDIR ?? DEFAULT_WORKDIR);
  const config: PipelineConfig = {
    library: resolve(overrides.library ?? e.DCMX_LIBRARY ?? DEFAULT_LIBRARY),
    artworkDir: overrides.artworkDir ?? e.DCMX_ARTWORK_DIR,
    metadataFile: overrides.metadataFile ?? e.DCMX_METADATA,
    workDir,
    databaseUrl: overrides.databaseUrl ?? e.DCMX_DATABASE_URL,
    reportPath: resolve(overrides.reportPath ?? e.DCMX_REPORT ?? `${workDir}/report.json`),
    contract: overrides.contract ?? (e.DCMX_CONTRACT as `0x${string}` | undefined),
    recipient: overrides.recipient ?? (e.DCMX_RECIPIENT as `0x${string}` | undefined),
    admin: overrides.admin ?? (e.DCMX_ADMIN as `0x${string}` | undefined),
    allowHotAdmin: overrides.allowHotAdmin ?? e.DCMX_ALLOW_HOT_ADMIN,
    require: overrides.require ?? e.DCMX_REQUIRE,
    mintBatchSize: overrides.mintBatchSize ?? e.DCMX_MINT_BATCH,
    worker: overrides.worker ?? e.DCMX_WORKER,
    workers: overrides.workers ?? e.DCMX_WORKERS,
    workerLeaseMs: overrides.workerLeaseMs ?? e.DCMX_WORKER_LEASE_SECONDS * 1000,
    cidProfile: overrides.cidProfile ?? e.DCMX_CID_PROFILE ?? DEFAULT_CID_PROFILE,
    maxConcurrentUploads: overrides.maxConcurrentUploads ?? e.MAX_CONCURRENT_UPLOADS,
    includeIpfsBackup: overrides.includeIpfsBackup ?? e.INCLUDE_IPFS_BACKUP,
    allowLocalOnly: overrides.allowLocalOnly ?? e.DCMX_ALLOW_LOCAL_ONLY,
    previewFormat: overrides.previewFormat ?? e.DCMX_PREVIEW_FORMAT,
    ffmpeg: overrides.ffmpeg ?? e.DCMX_FFMPEG ?? "ffmpeg",
  };
  return config;
}

/** The ledger URL's password is a secret from the moment it is read, before anything can print it. */
function registerDatabasePassword(url: string | undefined): void {
  if (url === undefined) return;
  registerSecret(url);
  const password = URL.canParse(url) ? new URL(url).password : "";
  if (password !== "") registerSecret(decodeURIComponent(password));
}
