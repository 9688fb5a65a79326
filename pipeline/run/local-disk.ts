import { stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { ObjectKind } from "../providers/types.js";
import { OBJECT_KINDS, placement, STORAGE_ROLES, type StorageRole } from "../storage/routing.js";
import { type LocalDirectories, storagePolicy } from "../storage/storage-set.js";

/** What to do when a disk cannot take the embedded copies; said by the dry run, the run and doctor. */
export const DISK_SHORT_FIX =
  "free some space, set DCMX_WORKDIR / IPFS_REPO on a larger disk, or set Storj keys so the audio is not kept locally";

/** Bytes that will be written under a directory that may not exist yet. */
export interface DiskNeed {
  directory: string;
  bytes: number;
}

/** The folder each role on this machine writes to: the embedded s3rver's (without S3 keys) and the IPFS repo. */
const DIRECTORY: Record<StorageRole, (places: LocalDirectories) => string | undefined> = {
  primary: (places) => places.localS3,
  "local-ipfs": (places) => places.ipfsRepo,
  remote: () => undefined,
};

/**
 * What the embedded stores write for `bytes` of each kind, per folder: the kinds the routing table puts on
 * this machine's disk (`localDisk`), so without S3 keys the audio is written twice.
 */
export function embeddedCopies(
  places: LocalDirectories,
  bytes: Partial<Record<ObjectKind, number>>,
  includeIpfsBackup: boolean,
): DiskNeed[] {
  const policy = storagePolicy(places, includeIpfsBackup);
  return STORAGE_ROLES.flatMap((role) => {
    const directory = DIRECTORY[role](places);
    if (directory === undefined) return [];
    const written = OBJECT_KINDS.filter((kind) => placement(kind, role, policy).localDisk);
    return [{ directory, bytes: written.reduce((sum, kind) => sum + (bytes[kind] ?? 0), 0) }];
  });
}

export interface DiskCheck {
  /** The existing directory the free space was read from (the nearest ancestor of the ones asked about). */
  directory: string;
  neededBytes: number;
  freeBytes: number;
}

/**
 * Free space against what the embedded stores will write, per filesystem: the local S3 server's folder and
 * the IPFS repo may sit on one disk or on two. Free space is what an unprivileged writer may use.
 */
export async function checkLocalDisk(needs: DiskNeed[]): Promise<DiskCheck[]> {
  const byDevice = new Map<number, DiskCheck>();
  for (const need of needs) {
    const directory = await nearestExisting(need.directory);
    const { dev } = await stat(directory);
    const known = byDevice.get(dev);
    if (known !== undefined) {
      known.neededBytes += need.bytes;
      continue;
    }
    const fs = await statfs(directory);
    byDevice.set(dev, { directory, neededBytes: need.bytes, freeBytes: fs.bavail * fs.bsize });
  }
  return [...byDevice.values()];
}

async function nearestExisting(directory: string): Promise<string> {
  for (let dir = directory; ; dir = dirname(dir)) {
    if (
      await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      return dir;
    if (dirname(dir) === dir) return dir;
  }
}
