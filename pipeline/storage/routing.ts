import type { RequireName } from "../config/pipeline-config.js";
import { ConfigError } from "../errors.js";
import { type ObjectKind, ObjectKindSchema } from "../providers/types.js";

/**
 * Who holds a copy, named for what it does; providers keep the names of what they are (`storj`, `local-s3`,
 * `ipfs`, `kubo`, `pinata`…), and those names are what the ledger records, so a role is never persisted.
 * - `primary`: the S3 bucket players stream from: Storj DCS or any S3 server (Ceph RGW, Filebase's S3…), or the
 *   embedded s3rver under the work directory when no S3 keys are set. It finds objects by key.
 * - `local-ipfs`: the embedded Helia node. It serves the CIDs the metadata points at, from this machine only.
 * - `remote`: the remote IPFS backends (Kubo, IPFS Cluster, pinning services): copies strangers can fetch.
 */
export type StorageRole = "primary" | "local-ipfs" | "remote";

/** DCMX_REQUIRE's spellings, the documented `storj` and `ipfs` and the role names, each to the role it names. */
const REQUIRED_ROLE: Record<RequireName, StorageRole> = {
  storj: "primary",
  primary: "primary",
  ipfs: "local-ipfs",
  "local-ipfs": "local-ipfs",
};

/** What sets a role apart whatever it stores. */
interface RoleFacts {
  /** How an object is found there: the content-addressed S3 key, or the CID. */
  addressedBy: "key" | "cid";
  /** Whether its copies are on this machine's disk (and so no provider's bill). */
  onThisMachine: "always" | "embedded-s3" | "never";
  /**
   * Whether what it holds is counted in the cost estimate and `dcmx stats`: remote backends have no usage
   * API we can ask, and a count of what this process sent would read as a wrong total.
   */
  usageCounted: boolean;
}

const ROLES: Record<StorageRole, RoleFacts> = {
  primary: { addressedBy: "key", onThisMachine: "embedded-s3", usageCounted: true },
  "local-ipfs": { addressedBy: "cid", onThisMachine: "always", usageCounted: true },
  remote: { addressedBy: "cid", onThisMachine: "never", usageCounted: false },
};

/**
 * When a role receives a kind: `always`; `backup` while INCLUDE_IPFS_BACKUP is on; `bucket` only on a
 * configured S3 bucket (the embedded s3rver serves no player, so artwork there would only fill the disk).
 */
type StoresWhen = "always" | "backup" | "bucket" | "never";

/**
 * When a copy there must exist before the track is minted: `stored` (every provider of the role that
 * receives it); `required` (every one, when DCMX_REQUIRE names the role); `public` (at least one, on a public
 * network unless DCMX_ALLOW_LOCAL_ONLY: a token must point at content strangers can fetch, and one backend
 * down must not hold every track back); `never`.
 */
type MintWhen = "stored" | "required" | "public" | "never";

type Row = Record<StorageRole, { stores: StoresWhen; beforeMint: MintWhen }>;

const AUDIO: Row = {
  primary: { stores: "always", beforeMint: "required" },
  "local-ipfs": { stores: "backup", beforeMint: "required" },
  remote: { stores: "backup", beforeMint: "public" },
};

/**
 * The routing rule, the one place it is written: for each kind of object and each role (`StorageRole`), when
 * the role is sent it and when a copy there must exist before the track is minted. Whether a copy counts
 * toward cost and takes this machine's disk follows from the role (`ROLES`). Storage (`StorageSet`), the
 * runner, the dry run's plan and cost, the disk checks, `dcmx stats` and `dcmx verify` all read it here.
 */
const ROUTES: Record<ObjectKind, Row> = {
  audio: AUDIO,
  // A preview is what animation_url plays: it goes where the audio goes.
  preview: AUDIO,
  artwork: {
    primary: { stores: "bucket", beforeMint: "stored" },
    "local-ipfs": { stores: "always", beforeMint: "stored" },
    remote: { stores: "always", beforeMint: "public" },
  },
  metadata: {
    primary: { stores: "never", beforeMint: "never" },
    "local-ipfs": { stores: "always", beforeMint: "stored" },
    remote: { stores: "always", beforeMint: "public" },
  },
};

/** The settings that decide where objects go. */
export interface StoragePolicy {
  includeIpfsBackup: boolean;
  /** The primary is the embedded s3rver (no S3 keys set). */
  embeddedS3: boolean;
}

/** The settings that decide, besides, what must be held before a mint. */
export interface RoutingPolicy extends StoragePolicy {
  /** DCMX_REQUIRE as the user spelled it. */
  require: readonly RequireName[];
  /** The public network a track is minted on, when strangers must be able to fetch what its token points at. */
  publicNetwork?: string;
}

/** Where a kind goes under a policy: one cell of the table, without the mint. */
export interface Placement {
  /** The role's providers are sent the object. */
  stores: boolean;
  /** Sent only while INCLUDE_IPFS_BACKUP is on: a backup copy. */
  backup: boolean;
  /** Its bytes are counted in the cost estimate (dry run) and `dcmx stats`. */
  countsTowardCost: boolean;
  /** Its bytes are written to this machine's disk (what the disk checks add up). */
  localDisk: boolean;
}

/** One cell of the table under a policy. */
export interface Route extends Placement {
  /** Which of the role's providers must hold it before the track is minted. */
  beforeMint: "every" | "one" | "none";
}

const STORES: Record<StoresWhen, (policy: StoragePolicy) => boolean> = {
  always: () => true,
  backup: (policy) => policy.includeIpfsBackup,
  bucket: (policy) => !policy.embeddedS3,
  never: () => false,
};

/** Where the routing table sends `kind`: whether `role` receives it, and what that copy counts toward. */
export function placement(kind: ObjectKind, role: StorageRole, policy: StoragePolicy): Placement {
  const when = ROUTES[kind][role].stores;
  const stores = STORES[when](policy);
  return {
    stores,
    backup: when === "backup",
    countsTowardCost: stores && ROLES[role].usageCounted,
    localDisk: stores && isOnThisMachine(role, policy.embeddedS3),
  };
}

/** What the routing table says about `kind` on `role` under `policy`, the mint included. */
export function route(kind: ObjectKind, role: StorageRole, policy: RoutingPolicy): Route {
  const where = placement(kind, role, policy);
  return { ...where, beforeMint: mustHold(ROUTES[kind][role].beforeMint, role, where.stores, policy) };
}

function mustHold(
  when: MintWhen,
  role: StorageRole,
  stores: boolean,
  policy: RoutingPolicy,
): Route["beforeMint"] {
  switch (when) {
    case "stored":
      return stores ? "every" : "none";
    case "required":
      return requiredRoles(policy.require).includes(role) ? "every" : "none";
    case "public":
      return policy.publicNetwork === undefined ? "none" : "one";
    case "never":
      return "none";
  }
}

export const STORAGE_ROLES = Object.keys(ROLES) as StorageRole[];
export const OBJECT_KINDS = ObjectKindSchema.options;

/** The roles that receive `kind`, in the table's order. */
export function rolesStoring(kind: ObjectKind, policy: StoragePolicy): StorageRole[] {
  return STORAGE_ROLES.filter((role) => placement(kind, role, policy).stores);
}

/** The roles DCMX_REQUIRE names, whichever spelling it used. */
export function requiredRoles(require: readonly RequireName[]): StorageRole[] {
  return [...new Set(require.map((name) => REQUIRED_ROLE[name]))];
}

/** Whether a provider of `role` failing to store `kind` holds the track back (the others are retried next run). */
export function blocksMint(kind: ObjectKind, role: StorageRole, policy: RoutingPolicy): boolean {
  return route(kind, role, policy).beforeMint === "every";
}

export function addressedBy(role: StorageRole): RoleFacts["addressedBy"] {
  return ROLES[role].addressedBy;
}

/** Whether the role's copies sit on this machine: the embedded node, and the embedded s3rver. */
export function isOnThisMachine(role: StorageRole, embeddedS3: boolean): boolean {
  const where = ROLES[role].onThisMachine;
  return where === "always" || (where === "embedded-s3" && embeddedS3);
}

/** Whether the cost estimate and `dcmx stats` count what the role holds. */
export function usageCounted(role: StorageRole): boolean {
  return ROLES[role].usageCounted;
}

/** Why a role does not receive a kind, and the variable that changes it, for the error that says so. */
const NOT_STORED: Record<Exclude<StoresWhen, "always">, { field: string; because: string }> = {
  backup: { field: "INCLUDE_IPFS_BACKUP", because: "INCLUDE_IPFS_BACKUP is off" },
  bucket: { field: "STORJ_ACCESS_KEY", because: "no S3 keys are set" },
  never: { field: "DCMX_REQUIRE", because: "it never goes there" },
};

/**
 * Refuses a policy that asks a role to hold what it is never sent (DCMX_REQUIRE=ipfs with the IPFS backup
 * off): every track would wait for a copy nothing makes.
 */
export function assertRoutable(policy: RoutingPolicy): void {
  for (const kind of OBJECT_KINDS) {
    for (const role of STORAGE_ROLES) {
      const cell = ROUTES[kind][role];
      const { stores, beforeMint } = route(kind, role, policy);
      if (stores || beforeMint !== "every" || cell.stores === "always") continue;
      const why = NOT_STORED[cell.stores];
      const names = policy.require.filter((name) => REQUIRED_ROLE[name] === role);
      throw new ConfigError(
        "POLICY",
        `DCMX_REQUIRE names ${names.join(", ")} (the ${role} role), but ${why.because}, so no ${kind} is sent there`,
        {
          field: why.field,
          hint: `change DCMX_REQUIRE (e.g. DCMX_REQUIRE=storj to mint once the S3 primary holds the audio) or ${why.field}`,
        },
      );
    }
  }
}
