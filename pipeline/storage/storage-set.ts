import { join } from "node:path";
import { prepareWorkDir } from "../config/work-dir.js";
import { ConfigError } from "../errors.js";
import { type IpfsConfig, loadIpfsConfig } from "../providers/ipfs/config.js";
import { createIpfsBackends } from "../providers/ipfs/factory.js";
import type { EmbeddedIpfsNode } from "../providers/ipfs/helia-node.js";
import { loadStorjConfig } from "../providers/s3/config.js";
import { type LocalS3, localS3Config, startLocalS3 } from "../providers/s3/local-s3.js";
import { S3Provider } from "../providers/s3/provider.js";
import type { ObjectKind, StorageProvider } from "../providers/types.js";
import {
  blocksMint,
  isOnThisMachine,
  type RoutingPolicy,
  rolesStoring,
  STORAGE_ROLES,
  type StoragePolicy,
  type StorageRole,
} from "./routing.js";

/** A provider and the role it plays in a run. */
export interface RoleProvider {
  role: StorageRole;
  provider: StorageProvider;
  /** Its copies are on this machine's disk (the embedded node, the embedded s3rver): see `isOnThisMachine`. */
  onThisMachine: boolean;
}

/** Where the embedded local S3 server keeps its objects when no Storj keys are set. */
const localS3Directory = (workDir: string) => join(workDir, "s3");

/** Where the embedded stores write: the local S3 server's folder (without Storj keys) and the IPFS repo. */
export interface LocalDirectories {
  localS3?: string;
  ipfsRepo: string;
}

/** The directories a run with these variables would write to, without starting any store (dry run, doctor). */
export function localDirectoriesFor(
  env: Record<string, string | undefined>,
  workDir: string,
): LocalDirectories {
  return {
    localS3: loadStorjConfig(env) === undefined ? localS3Directory(workDir) : undefined,
    ipfsRepo: loadIpfsConfig(env, workDir).repo,
  };
}

/** Where objects go for a run writing to `places`: the primary is the embedded s3rver when it has a folder. */
export function storagePolicy(places: LocalDirectories, includeIpfsBackup: boolean): StoragePolicy {
  return { includeIpfsBackup, embeddedS3: places.localS3 !== undefined };
}

/**
 * Every storage backend of a run, grouped by role: the S3 primary (Storj, or an embedded local S3 when no
 * Storj keys are set), the embedded IPFS node (whose CIDs the metadata points to) and the remote IPFS
 * backends configured.
 */
export class StorageSet {
  readonly storj: S3Provider;
  readonly ipfs: StorageProvider[];
  readonly node: EmbeddedIpfsNode;
  /** True when the S3 primary is the embedded local server rather than a configured Storj bucket. */
  readonly embeddedS3: boolean;
  readonly localDirectories: LocalDirectories;
  /** Remote backends configured but left out (a closed service, a pinning service with no origin), with why. */
  readonly unusedBackends: IpfsConfig["unused"];
  readonly #closers: Array<() => Promise<void>>;

  private constructor(parts: {
    storj: S3Provider;
    ipfs: StorageProvider[];
    node: EmbeddedIpfsNode;
    embeddedS3: boolean;
    localDirectories: LocalDirectories;
    unusedBackends: IpfsConfig["unused"];
    closers: Array<() => Promise<void>>;
  }) {
    this.storj = parts.storj;
    this.ipfs = parts.ipfs;
    this.node = parts.node;
    this.embeddedS3 = parts.embeddedS3;
    this.localDirectories = parts.localDirectories;
    this.unusedBackends = parts.unusedBackends;
    this.#closers = parts.closers;
  }

  /**
   * Builds the storage of a run from the environment. Nothing configured means embedded defaults: a local
   * S3 server and the IPFS node keep their data in the work directory, so a later run finds it again.
   */
  static async open(options: {
    env?: Record<string, string | undefined>;
    workDir: string;
  }): Promise<StorageSet> {
    const env = options.env ?? process.env;
    const storjConfig = loadStorjConfig(env);
    await prepareWorkDir(options.workDir);
    const closers: Array<() => Promise<void>> = [];
    try {
      let local: LocalS3 | undefined;
      if (storjConfig === undefined) {
        local = await startLocalS3({ directory: localS3Directory(options.workDir) });
        closers.push(() => local!.stop());
      }
      const storj = new S3Provider(storjConfig ?? localS3Config(local!));
      const ipfs = await createIpfsBackends(env, { workDir: options.workDir });
      closers.unshift(() => ipfs.close());
      return new StorageSet({
        storj,
        ipfs: ipfs.providers,
        node: ipfs.node,
        embeddedS3: local !== undefined,
        localDirectories: { localS3: local?.directory, ipfsRepo: ipfs.config.repo },
        unusedBackends: ipfs.config.unused,
        closers,
      });
    } catch (error) {
      for (const close of closers) await close();
      throw error;
    }
  }

  /** The embedded node's provider (the factory puts it first). */
  get embedded(): StorageProvider {
    return this.ipfs[0]!;
  }

  /** The remote IPFS backends: every IPFS provider but the embedded node. */
  get remotes(): StorageProvider[] {
    return this.ipfs.slice(1);
  }

  /** Providers that receive objects of `kind` (the routing table, `routing.ts`). */
  providersFor(kind: ObjectKind, includeIpfsBackup: boolean): RoleProvider[] {
    return rolesStoring(kind, { includeIpfsBackup, embeddedS3: this.embeddedS3 }).flatMap((role) =>
      this.holders(role),
    );
  }

  /** The routing table's policy for these providers under the run's settings (DCMX_REQUIRE…). */
  policy(settings: Omit<RoutingPolicy, "embeddedS3">): RoutingPolicy {
    return { ...settings, embeddedS3: this.embeddedS3 };
  }

  /** Whether a provider of `role` failing to store `kind` holds the track back (the routing table). */
  blocksMint(kind: ObjectKind, role: StorageRole, settings: Omit<RoutingPolicy, "embeddedS3">): boolean {
    return blocksMint(kind, role, this.policy(settings));
  }

  /** The providers that play `role`: one S3 primary, one embedded node, any number of remote backends. */
  holders(role: StorageRole): RoleProvider[] {
    const providers =
      role === "primary" ? [this.storj] : role === "local-ipfs" ? [this.embedded] : this.remotes;
    const onThisMachine = isOnThisMachine(role, this.embeddedS3);
    return providers.map((provider) => ({ role, provider, onThisMachine }));
  }

  /** Every provider with its role. */
  roles(): RoleProvider[] {
    return STORAGE_ROLES.flatMap((role) => this.holders(role));
  }

  all(): StorageProvider[] {
    return [this.storj, ...this.ipfs];
  }

  /** The configured provider called `name`; `option` is the flag or variable that named it, for the error. */
  provider(name: string, option: string): StorageProvider {
    const found = this.all().find((p) => p.name === name);
    if (found !== undefined) return found;
    const names = this.all().map((p) => p.name);
    throw new ConfigError("UNKNOWN_PROVIDER", `"${name}" is not a configured storage provider`, {
      field: option,
      hint: `configured here: ${names.join(", ")}; a remote backend is configured by its variables (.env.storage.example)`,
    });
  }

  async close(): Promise<void> {
    for (const close of this.#closers) await close();
    await this.storj.close();
  }
}
