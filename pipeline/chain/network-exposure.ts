/** Hardhat's development chain id: `hardhat node` and the in-process chain use it unless told otherwise. */
export const DEVELOPMENT_CHAIN_ID = 31337;

/** A network whose tokens only this machine sees, or one strangers read (and so fetch the content of). */
export type NetworkExposure = "local" | "public";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/**
 * The one rule for "can a stranger see these tokens?": Hardhat's in-process chain, or the development
 * chain id behind a loopback RPC, is local; anything else is public. A testnet counts as public on
 * purpose: its tokens are shown by explorers and marketplaces like a mainnet's.
 */
export function networkExposure(network: {
  inProcess: boolean;
  chainId: number;
  /** The JSON-RPC URL, for HTTP networks. */
  rpcUrl?: string;
}): NetworkExposure {
  if (network.inProcess) return "local";
  if (network.chainId !== DEVELOPMENT_CHAIN_ID || network.rpcUrl === undefined) return "public";
  const host = new URL(network.rpcUrl).hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || host.startsWith("127.") ? "local" : "public";
}

/** What the dry run and doctor say before a run would leave every track pending (process-track.ts). */
export function localOnlyWarning(network: string, allowLocalOnly: boolean): string {
  const outcome = allowLocalOnly
    ? "DCMX_ALLOW_LOCAL_ONLY is set, so they would be minted anyway"
    : "tracks stay pending until one is configured (docs/STORAGE_SETUP.md), or set DCMX_ALLOW_LOCAL_ONLY=1 to mint anyway";
  return `on ${network} no remote IPFS backend is configured: tokens would point at content only this machine has; ${outcome}`;
}
