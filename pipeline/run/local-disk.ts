import { stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { LocalDirectories } from "../storage/storage-set.js";

/** What to do when a disk cannot take the embedded copies; said by the dry run, the run and doctor. */
export const DISK_SHORT_FIX =
  "free some space, set DCMX_WORKDIR / IPFS_REPO on a larger disk, or set Storj keys so the audio is not kept locally";

/** Bytes that will be written under a directory that may not exist yet. */
export interface DiskNeed {
  directory: string;
  bytes: number;
}

/**
 * What the embedded stores write for a library: the audio to the local S3 server when no Storj keys are
 * set and to the IPFS repo as its backup; artwork and metadata to the repo (StorageSet.providersFor).
 */
export function embeddedCopies(
  places: LocalDirectories,
  bytes: { audio: number; artwork?: number; metadata?: number },
  includeIpfsBackup: boolean,
): DiskNeed[] {
  const ipfs = (includeIpfsBackup ? bytes.audio : 0) + (bytes.artwork ?? 0) + (bytes.metadata ?? 0);
  return [
    ...(places.localS3 === undefined ? [] : [{ directory: places.localS3, bytes: bytes.audio }]),
    { directory: places.ipfsRepo, bytes: ipfs },
  ];
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
