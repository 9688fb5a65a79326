import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError } from "../errors.js";

const REASONS: Record<string, string> = {
  EROFS: "is on a read-only file system",
  EACCES: "is not writable (permission denied)",
  EPERM: "is not writable (permission denied)",
  ENOTDIR: "is not a directory",
  ENOSPC: "is on a full disk",
};

/**
 * Creates the work directory and proves it writable before anything starts: the journal, the embedded S3
 * and the IPFS node all live there, and a raw errno from whichever of them touched it first names neither
 * the setting nor the fix.
 */
export async function prepareWorkDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
    await access(path, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const why = code === "ENOENT" ? await ancestorProblem(path) : code;
    throw new ConfigError("WORKDIR", `the work directory ${REASONS[why] ?? `cannot be used (${why})`}`, {
      file: path,
      field: "DCMX_WORKDIR",
      hint: "point DCMX_WORKDIR (or --workdir) at a writable directory with free space",
      cause: error,
    });
  }
}

/** mkdir -p on a read-only mount reports ENOENT for the part it could not create: the nearest existing ancestor says why. */
async function ancestorProblem(path: string): Promise<string> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const code = await access(dir, constants.W_OK).then(
      () => "writable",
      (e: NodeJS.ErrnoException) => e.code ?? "ENOENT",
    );
    if (code === "writable") return "ENOENT";
    if (code !== "ENOENT" || dir === dirname(dir)) return code;
  }
}
