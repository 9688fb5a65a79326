import { open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { DcmxError } from "../errors.js";

/** Another pipeline process holds the work directory. */
export class LockedError extends DcmxError {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An exclusive lock on a work directory: two pipeline processes on one journal would upload twice and
 * race for nonces. A lock left by a process that died (SIGKILL, power loss) on this host is taken over.
 */
export async function acquireLock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(
        JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
      );
      await handle.sync();
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = await readHolder(path);
      if (holder && (holder.host !== hostname() || isAlive(holder.pid))) {
        throw new LockedError(
          "LOCKED",
          `another DCMX Mint process (pid ${holder.pid} on ${holder.host}) is using this work directory`,
          {
            file: path,
            hint: "wait for it to finish, or stop it; if it is gone for good, delete the lock file",
          },
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new LockedError("LOCKED", "could not take the work directory lock", { file: path });
}

async function readHolder(path: string): Promise<{ pid: number; host: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as { pid?: unknown; host?: unknown };
    return typeof parsed.pid === "number" && typeof parsed.host === "string"
      ? { pid: parsed.pid, host: parsed.host }
      : undefined;
  } catch {
    // A lock file torn by a crash while being written holds no live process.
    return undefined;
  }
}
