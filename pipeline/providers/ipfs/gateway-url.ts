import { InputError } from "../../errors.js";

/**
 * Rewrites `ipfs://<cid>/<path>` (or a bare CID) to a path-style HTTP gateway URL, so players and
 * marketplaces that do not speak `ipfs://` can stream it. `gateway` is the configured HTTP gateway
 * (IPFS_GATEWAY_URL), by default the embedded node's local one.
 */
export function gatewayUrl(ipfsUriOrCid: string, gateway: string): string {
  const rest = ipfsUriOrCid.startsWith("ipfs://") ? ipfsUriOrCid.slice("ipfs://".length) : ipfsUriOrCid;
  if (rest === "" || rest.startsWith("/")) {
    throw new InputError("IPFS_URI", `"${ipfsUriOrCid}" has no CID`, {
      hint: "expected ipfs://<cid>[/path]",
    });
  }
  return `${gateway.replace(/\/+$/, "")}/ipfs/${rest}`;
}
