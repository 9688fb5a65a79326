import { z } from "zod";

/**
 * Named UnixFS import profiles. The same bytes give different CIDs under different chunking, so the
 * profile is recorded next to every CID we compute and must match what the storage provider computes.
 */
export const CidProfileSchema = z.enum(["unixfs-v1-2025", "kubo-v0"]);
export type CidProfile = z.infer<typeof CidProfileSchema>;
export const DEFAULT_CID_PROFILE: CidProfile = "unixfs-v1-2025";

/** What one streaming pass over a file tells us; every later stage trusts it. */
export const ContentAddressSchema = z.object({
  size: z.number().int().nonnegative(),
  /** Lower-case hex SHA-256 of the bytes: the on-chain content hash and the S3 object key. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The UnixFS CID of the same bytes under `profile` (string form: base32 for v1, base58btc for v0). */
  cid: z.string().min(1),
  profile: CidProfileSchema,
});
export type ContentAddress = z.infer<typeof ContentAddressSchema>;
