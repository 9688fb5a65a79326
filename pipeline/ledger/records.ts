import { z } from "zod";
import { CidProfileSchema } from "../content/types.js";
import { PreviewFormatSchema } from "../preview/formats.js";
import { StoredObjectSchema } from "../providers/types.js";
import { NameBytesSchema } from "../util/file-name.js";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** Mint state is per deployment: the same library may be minted on a test chain and then on mainnet. */
export const DeploymentSchema = z.object({ chainId: z.number().int().positive(), contract: Address });
export type Deployment = z.infer<typeof DeploymentSchema>;

export const deploymentKey = (d: Deployment): string => `${d.chainId}:${d.contract.toLowerCase()}`;

/**
 * Every fact the pipeline learns, recorded in the ledger once it is true (after the upload finished, after
 * the transaction was sent); a run never repeats work a record says is done. Older work directories hold
 * the same records as JSON lines (`journal.jsonl`), imported on first open. No secret is ever part of a record.
 */
export const JournalRecordSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("track"),
    sha256: Sha256,
    /** The file's name as people read it (relative to the library). */
    file: z.string(),
    /**
     * The relative path's exact bytes (base64) when `file` does not spell them (a name that is not UTF-8,
     * or one with escaped controls): the journal's key for the file. Older journals never need it.
     */
    nameBytes: NameBytesSchema.optional(),
    size: z.number().int().nonnegative(),
    cid: z.string(),
    profile: CidProfileSchema,
    mimeType: z.string(),
    /** The file's mtime and inode when hashed: unchanged, a later scan reuses the address. */
    modifiedMs: z.number().optional(),
    ino: z.number().optional(),
  }),
  z.object({
    type: z.literal("artwork"),
    sha256: Sha256,
    artwork: z.object({
      sha256: Sha256,
      cid: z.string(),
      size: z.number().int(),
      mimeType: z.string(),
      source: z.string(),
      /** The image file (extracted, for embedded pictures): `dcmx migrate` copies from it while it hashes the same. */
      path: z.string().optional(),
    }),
  }),
  z.object({
    type: z.literal("preview"),
    sha256: Sha256,
    /** The playable rendition encoded from a master OpenSea cannot play, kept in the work directory. */
    preview: z.object({
      format: PreviewFormatSchema,
      sha256: Sha256,
      cid: z.string(),
      profile: CidProfileSchema,
      size: z.number().int().nonnegative(),
      mimeType: z.string(),
      extension: z.string(),
      path: z.string(),
    }),
  }),
  z.object({ type: z.literal("stored"), sha256: Sha256, object: StoredObjectSchema }),
  z.object({ type: z.literal("metadata"), sha256: Sha256, cid: z.string(), path: z.string() }),
  z.object({ type: z.literal("verified"), sha256: Sha256, metadataCid: z.string() }),
  z.object({ type: z.literal("failed"), sha256: Sha256, stage: z.string(), error: z.string() }),
  z.object({ type: z.literal("deployed"), deployment: DeploymentSchema, txHash: Hex.optional() }),
  z.object({
    type: z.literal("mint-sent"),
    deployment: DeploymentSchema,
    txHash: Hex,
    sha256s: z.array(Sha256).min(1),
  }),
  z.object({
    type: z.literal("minted"),
    deployment: DeploymentSchema,
    sha256: Sha256,
    tokenId: z.string().regex(/^\d+$/),
    txHash: Hex.optional(),
  }),
  /**
   * A run of a work directory begins: the outcomes its previous run left (the report was written from
   * them, or the run was killed) are dropped.
   */
  z.object({ type: z.literal("run-started"), run: z.string() }),
  /**
   * What this run made of one library file, for its report: kept in the ledger rather than in memory, and
   * read back in library order when the report is written. A later outcome for the file replaces it.
   */
  z.object({
    type: z.literal("outcome"),
    run: z.string(),
    /** The file's place in the library. */
    order: z.number().int().nonnegative(),
    file: z.string(),
    sha256: Sha256,
    status: z.enum(["ready", "stored", "pending", "failed", "already-minted", "duplicate"]),
    error: z.string().optional(),
    /** Copies a backup did not take this run ("audio on kubo: <reason>"). */
    degraded: z.array(z.string()).default([]),
    duplicateOf: z.string().optional(),
  }),
  /** Stored and verified: the track waits in the ledger's mint queue until a minter of the deployment takes it. */
  z.object({
    type: z.literal("mint-ready"),
    deployment: DeploymentSchema,
    sha256: Sha256,
    metadataCid: z.string(),
  }),
  z.object({
    type: z.literal("mint-settled"),
    deployment: DeploymentSchema,
    txHash: Hex,
    outcome: z.enum(["mined", "dropped", "reverted"]),
  }),
  /** A marketplace was seen showing the token with this tokenURI: a later tokenURI is a change to sync. */
  z.object({
    type: z.literal("marketplace-synced"),
    deployment: DeploymentSchema,
    marketplace: z.literal("opensea"),
    tokenId: z.string().regex(/^\d+$/),
    tokenURI: z.string(),
  }),
]);
export type JournalRecord = z.infer<typeof JournalRecordSchema>;
export type RecordOf<T extends JournalRecord["type"]> = Extract<JournalRecord, { type: T }>;
