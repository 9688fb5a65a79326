import { z } from "zod";

/** What the page's script needs besides the markup: where to read the chain and the content. */
export const PageConfigSchema = z.strictObject({
  rpc: z.url(),
  gateway: z.url(),
  contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  chainId: z.int().positive(),
});
export type PageConfig = z.infer<typeof PageConfigSchema>;

/** A track's `data-verified` once checked: `error` when the chain or the gateway could not be asked. */
export type Verdict = "match" | "mismatch" | "error";
