import type { z } from "zod";
import { AuthError, ConfigError, ProviderError } from "../../errors.js";
import { registerSecret } from "../../util/secrets.js";
import type { OpenSeaApi } from "../opensea/listings.js";

// INTERIM, replaced when branch h-market lands: `OpenSeaClient.fromEnv` (opensea/client.ts: retries, rate
// limits) implements OpenSeaApi, and `openSeaChain(chainId).slug` (opensea/chains.ts) names the chain.
// Until then this is the smallest adapter that lets `dcmx list` run; it does not retry.

const INTERIM_SLUGS: Record<number, string> = { 1: "ethereum", 11155111: "sepolia" };

export function interimChainSlug(chainId: number): string {
  const slug = INTERIM_SLUGS[chainId];
  if (slug !== undefined) return slug;
  throw new ConfigError("OPENSEA_CHAIN", `chain ${chainId} is not one OpenSea lists`, {
    field: "--rpc",
    hint: "mint on a chain OpenSea lists to sell there",
  });
}

export function interimOpenSea(env: Record<string, string | undefined>): OpenSeaApi {
  const key = env.OPENSEA_API_KEY?.trim();
  if (!key) {
    throw new ConfigError("CONFIG", "is not set; listing posts to OpenSea's API", {
      field: "OPENSEA_API_KEY",
      hint: "get a key at opensea.io/settings/developer and set it in .env",
    });
  }
  registerSecret(key);
  const base = (env.OPENSEA_API_URL?.trim() || "https://api.opensea.io").replace(/\/+$/, "");
  return {
    async request<S extends z.ZodType>(method: "GET" | "POST", path: string, schema: S, body?: unknown) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { "x-api-key": key, accept: "application/json", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status === 401 || res.status === 403) {
        throw new AuthError(`${method} ${path}: ${text.slice(0, 200)}`, {
          provider: "opensea",
          field: "OPENSEA_API_KEY",
          status: res.status,
        });
      }
      if (!res.ok) {
        throw new ProviderError("HTTP", `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`, {
          provider: "opensea",
          status: res.status,
        });
      }
      return schema.parse(JSON.parse(text));
    },
  };
}
