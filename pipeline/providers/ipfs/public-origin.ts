import { BlockList, isIP } from "node:net";
import { ConfigError } from "../../errors.js";

/**
 * Addresses a hosted service cannot reach: loopback, private, link-local, unspecified, CGNAT and
 * unique-local ranges (RFC 1122, 1918, 3927, 6598, 4193, 4291).
 */
const UNREACHABLE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const) {
  UNREACHABLE.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const) {
  UNREACHABLE.addSubnet(net, prefix, "ipv6");
}

const HOST_PROTOCOLS = new Set(["ip4", "ip6", "dns", "dns4", "dns6", "dnsaddr"]);

/** Why `multiaddr` cannot be an origin a hosted service fetches from, or undefined when it can be. */
function unreachableBecause(multiaddr: string): string | undefined {
  const [empty, protocol = "", host = ""] = multiaddr.split("/");
  if (empty !== "" || !HOST_PROTOCOLS.has(protocol) || host === "") {
    return "is not a multiaddr starting with /ip4, /ip6, /dns, /dns4, /dns6 or /dnsaddr and a host";
  }
  if (protocol.startsWith("dns")) {
    const name = host.toLowerCase();
    return name === "localhost" || name.endsWith(".localhost") || name.endsWith(".local")
      ? "names this machine or the local network"
      : undefined;
  }
  const family = isIP(host);
  if (family !== (protocol === "ip4" ? 4 : 6)) return `has "${host}", which is not an ${protocol} address`;
  return UNREACHABLE.check(host, family === 4 ? "ipv4" : "ipv6")
    ? "is a loopback or private address, which a hosted service cannot reach"
    : undefined;
}

/**
 * PINNING_SERVICE_ORIGINS: comma-separated multiaddrs of a node strangers can reach that holds the content
 * (e.g. `/dns4/ipfs.example.org/tcp/4001/p2p/12D3Koo…`). A loopback or private address is refused: the
 * service would queue the pin for ever, fetching from an address that is its own machine, not ours.
 */
export function parsePublicOrigins(value: string | undefined): string[] {
  const origins = (value ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    const reason = unreachableBecause(origin);
    if (reason !== undefined) {
      throw new ConfigError("CONFIG", `${origin} ${reason}`, {
        file: "environment",
        field: "PINNING_SERVICE_ORIGINS",
        hint: "name the public multiaddrs of a node that holds the content (a Kubo node or IPFS Cluster peer reachable from the internet: `ipfs id`), or leave it unset (docs/storage/pinning-service.md)",
      });
    }
  }
  return origins;
}
