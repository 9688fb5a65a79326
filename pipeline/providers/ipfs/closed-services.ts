/** Where to go instead of a closed service (docs/storage/closed-services.md compares them). */
const MOVE_TO =
  "a push backend DCMX Mint supports (Kubo, Pinata, Filebase, Lighthouse or IPFS Cluster), or later Filecoin Onchain Cloud, Storacha's successor, which is not a DCMX Mint backend yet";

/** A public service our client still speaks to, for self-hosted deployments, that no longer takes uploads. */
export interface ClosedService {
  /** The provider's name (`storacha`, `nft-storage`). */
  provider: string;
  service: string;
  /** Hosts of the public service: an endpoint or gateway on one of them is the closed service. */
  hosts: string[];
  closed: string;
  /** The variables that point the client at a self-hosted deployment instead. */
  variables: string[];
  moveTo: string;
}

/** One row per closed service; sources in ../shared/reference/ipfs-services-2026.md, section 9. */
export const CLOSED_SERVICES: ClosedService[] = [
  {
    provider: "storacha",
    service: "Storacha (w3up, formerly Web3.Storage)",
    hosts: ["up.storacha.network", "up.web3.storage", "w3s.link", "storacha.link"],
    closed: "stopped taking uploads on 2026-04-15 and closed its gateways on 2026-05-31",
    variables: ["STORACHA_SERVICE_URL", "STORACHA_SERVICE_DID", "STORACHA_GATEWAY_URL"],
    moveTo: MOVE_TO,
  },
  {
    provider: "nft-storage",
    service: "NFT.Storage Classic",
    hosts: ["api.nft.storage"],
    closed: "stopped taking uploads on 2024-06-30",
    variables: ["NFT_STORAGE_ENDPOINT", "NFT_STORAGE_GATEWAY_URL"],
    moveTo: MOVE_TO,
  },
];

/**
 * The closed service `provider` would talk to at these URLs (undefined = the client's default, the public
 * service), or undefined when every URL points at a deployment of its own.
 */
export function closedService(provider: string, urls: Array<string | undefined>): ClosedService | undefined {
  const row = CLOSED_SERVICES.find((service) => service.provider === provider);
  if (row === undefined) return undefined;
  const closed = urls.some((url) => url === undefined || row.hosts.includes(new URL(url).hostname));
  return closed ? row : undefined;
}

/** What doctor, the dry run and a run say about a closed service that is configured. */
export function closedServiceLine(row: ClosedService): string {
  return `${row.service} ${row.closed}: ${row.provider} is not used (minting goes on without it). Move to ${row.moveTo} (docs/storage/closed-services.md); a self-hosted deployment of its protocol is still used when ${row.variables.join(" / ")} point at it`;
}
