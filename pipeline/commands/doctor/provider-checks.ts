import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localOnlyWarning, type NetworkExposure } from "../../chain/network-exposure.js";
import { metadataCid } from "../../content/metadata-cid.js";
import { AuthError, describeError, QuotaError } from "../../errors.js";
import { loadIpfsConfig, remoteBackends } from "../../providers/ipfs/config.js";
import { createIpfsBackends } from "../../providers/ipfs/factory.js";
import { FILEBASE } from "../../providers/ipfs/filebase.js";
import { EMBEDDED_NODE } from "../../providers/ipfs/helia-node.js";
import { IPFS_CLUSTER } from "../../providers/ipfs/ipfs-cluster.js";
import { KUBO } from "../../providers/ipfs/kubo.js";
import { LIGHTHOUSE } from "../../providers/ipfs/lighthouse.js";
import { NFT_STORAGE } from "../../providers/ipfs/nft-storage.js";
import { PINATA } from "../../providers/ipfs/pinata.js";
import { PINNING_SERVICE } from "../../providers/ipfs/pinning-service.js";
import { STORACHA } from "../../providers/ipfs/storacha.js";
import { loadStorjConfig } from "../../providers/s3/config.js";
import { S3Provider } from "../../providers/s3/provider.js";
import type { StorageProvider, StoredObject } from "../../providers/types.js";
import type { Finding } from "./finding.js";

/** The variables behind each provider's credentials, for the fix line. */
const CREDENTIALS: Record<string, string> = {
  storj: "STORJ_ACCESS_KEY and STORJ_SECRET_KEY (one Storj access grant's S3 credentials)",
  [PINNING_SERVICE]: "PINNING_SERVICE_TOKEN for PINNING_SERVICE_ENDPOINT",
  [NFT_STORAGE]: "NFT_STORAGE_TOKEN",
  [KUBO]:
    "KUBO_RPC_AUTH for KUBO_RPC_URL (user:password or Bearer <token>, as the node's API.Authorizations says)",
  [IPFS_CLUSTER]: "IPFS_CLUSTER_AUTH (user:password or Bearer <jwt>) for IPFS_CLUSTER_URL",
  [LIGHTHOUSE]: "LIGHTHOUSE_API_KEY",
  [STORACHA]: "W3UP_KEY and W3UP_PROOF (the agent key and its space delegation)",
  [FILEBASE]: "FILEBASE_ACCESS_KEY and FILEBASE_SECRET_KEY (one Filebase access key pair)",
  [PINATA]: "PINATA_JWT (the JWT of a Pinata API key, docs/storage/pinata.md)",
};

const EMPTY = new Uint8Array();
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * A harmless real call: asking whether an IPFS backend holds the empty file. Read-only, yet it needs the
 * credentials (a pin query carries the token). Storj is probed with a write instead (`probeWrite`).
 */
async function probe(provider: StorageProvider): Promise<Finding> {
  return probed(provider.name, "credentials accepted (a read-only request succeeded)", async () => {
    const cid = metadataCid(EMPTY).toString();
    const object: StoredObject = {
      provider: provider.name,
      kind: "audio",
      locator: cid,
      sha256: EMPTY_SHA256,
      cid,
      size: 0,
      reused: true,
    };
    await provider.has(object);
  });
}

/** Runs a provider's probe and says what its failure means: refused keys, a limit reached, or no answer. */
async function probed(name: string, success: string, run: () => Promise<unknown>): Promise<Finding> {
  const check = `provider ${name}`;
  try {
    await run();
    return { check, status: "ok", message: success };
  } catch (error) {
    if (error instanceof QuotaError) {
      return {
        check,
        status: "fail",
        message: `${error.limit} limit reached: ${describeError(error)}`,
        fix: error.hint ?? "raise the limit in the provider's console",
      };
    }
    if (error instanceof AuthError) {
      return {
        check,
        status: "fail",
        message: `credentials refused: ${describeError(error)}`,
        fix: `check ${CREDENTIALS[name] ?? "its credentials"} (docs/STORAGE_SETUP.md)`,
      };
    }
    return {
      check,
      status: "fail",
      message: `unreachable: ${describeError(error)}`,
      fix: "check the endpoint URL and the network",
    };
  }
}

/** A configuration error (missing half of a pair, malformed value) names its variable already. */
function configFailure(check: string, error: unknown): Finding {
  return {
    check,
    status: "fail",
    message: describeError(error),
    fix: "see .env.storage.example for the format",
  };
}

/** Storj: not configured (the embedded local S3 is used), misconfigured, or probed with its keys. */
export async function checkStorj(env: Record<string, string | undefined>): Promise<Finding> {
  let config: ReturnType<typeof loadStorjConfig>;
  try {
    config = loadStorjConfig(env);
  } catch (error) {
    return configFailure("provider storj", error);
  }
  if (config === undefined) {
    return {
      check: "provider storj",
      status: "info",
      message: "no keys set: runs use the embedded local S3 server (nothing leaves this machine)",
      fix: "set STORJ_ACCESS_KEY and STORJ_SECRET_KEY to store audio on Storj DCS (docs/STORAGE_SETUP.md)",
    };
  }
  const storj = new S3Provider(config, { retry: { retries: 1, minDelayMs: 200, maxDelayMs: 1000 } });
  try {
    return await probed(
      "storj",
      "credentials accepted: an empty probe object was written, read back and deleted",
      () => storj.probeWrite(),
    );
  } finally {
    await storj.close();
  }
}

/**
 * The IPFS backends the environment configures, each probed. The embedded node runs in a scratch folder
 * on a free port, so the doctor never touches the work directory or a running `dcmx serve`.
 */
export async function checkIpfs(env: Record<string, string | undefined>): Promise<Finding[]> {
  const scratch = await mkdtemp(join(tmpdir(), "dcmx-doctor-"));
  try {
    const backends = await createIpfsBackends(
      { ...env, IPFS_REPO: join(scratch, "ipfs"), IPFS_GATEWAY_PORT: "0" },
      { workDir: scratch },
    ).catch((error: unknown) => error as Error);
    if (backends instanceof Error) return [configFailure("IPFS configuration", backends)];
    try {
      const remote = backends.providers.filter((p) => p.name !== EMBEDDED_NODE);
      const embedded: Finding = {
        check: "provider ipfs",
        status: "ok",
        message: `embedded node starts${remote.length === 0 ? "; no remote IPFS backend is configured" : ""}`,
      };
      const unused = backends.config.unused.map(
        (u): Finding => ({
          check: `provider ${u.provider}`,
          status: "warn",
          message: u.reason,
        }),
      );
      return [embedded, ...unused, ...(await Promise.all(remote.map(probe)))];
    } finally {
      await backends.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * On a public network a token must point at content strangers can fetch: without a remote IPFS backend
 * every track would stay pending (or, with DCMX_ALLOW_LOCAL_ONLY, point at this machine only).
 */
export function checkPublicReach(
  env: Record<string, string | undefined>,
  network: { name: string; exposure: NetworkExposure },
  allowLocalOnly: boolean,
): Finding {
  const check = "remote IPFS backup";
  let remotes: string[];
  try {
    remotes = remoteBackends(loadIpfsConfig(env, "."));
  } catch (error) {
    // The IPFS configuration's own check names the variable.
    return { check, status: "info", message: `not checked: ${describeError(error)}` };
  }
  if (remotes.length > 0) return { check, status: "ok", message: `${remotes.join(", ")} on ${network.name}` };
  if (network.exposure === "local")
    return { check, status: "info", message: `none; not needed on ${network.name} (a local chain)` };
  return {
    check,
    status: "warn",
    message: localOnlyWarning(network.name, allowLocalOnly),
    fix: "configure a remote IPFS backend (docs/STORAGE_SETUP.md)",
  };
}
