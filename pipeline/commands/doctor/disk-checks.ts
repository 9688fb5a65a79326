import type { PipelineConfig } from "../../config/pipeline-config.js";
import { describeError } from "../../errors.js";
import { walkLibrary } from "../../library/walk.js";
import { formatBytes } from "../../report/format.js";
import { checkLocalDisk, DISK_SHORT_FIX, embeddedCopies } from "../../run/local-disk.js";
import { localDirectoriesFor } from "../../storage/storage-set.js";
import type { Finding } from "./finding.js";

/**
 * Free space for the embedded copies of the library: without Storj keys every audio file is written twice
 * under the work directory (local S3 and the IPFS repo). Every file of the library counts, by size: an
 * upper bound that needs no hashing.
 */
export async function checkDisk(
  env: Record<string, string | undefined>,
  config: PipelineConfig,
): Promise<Finding> {
  const check = "local disk";
  try {
    const { files } = await walkLibrary(config.library);
    const bytes = files.totalSize();
    const needs = embeddedCopies(
      localDirectoriesFor(env, config.workDir),
      { audio: bytes },
      config.includeIpfsBackup,
    );
    const disks = await checkLocalDisk(needs);
    const message = disks
      .map(
        (disk) =>
          `${disk.directory}: ${formatBytes(disk.freeBytes)} free for up to ${formatBytes(disk.neededBytes)} of embedded copies`,
      )
      .join("; ");
    return disks.every((disk) => disk.freeBytes >= disk.neededBytes)
      ? { check, status: "ok", message }
      : { check, status: "warn", message, fix: DISK_SHORT_FIX };
  } catch (error) {
    // A library or provider setting that cannot be read is reported by its own check.
    return { check, status: "info", message: `not checked: ${describeError(error)}` };
  }
}
