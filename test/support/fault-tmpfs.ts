import { execFile } from "node:child_process";
import { cp, mkdir } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Tmpfs {
  path: string;
  /** Changes the size limit in place, keeping the contents (a disk that was full gets room again). */
  resize(sizeMb: number): Promise<void>;
  unmount(): Promise<void>;
}

/**
 * A small tmpfs at `path`: a disk that fills up, or (with `readOnlyCopyOf`) a read-only filesystem holding
 * a copy of a directory. Mounting needs root; without it this prints why and returns undefined so the
 * test can skip visibly instead of passing without having run.
 */
export async function mountTmpfs(
  path: string,
  options: { sizeMb: number; readOnlyCopyOf?: string },
): Promise<Tmpfs | undefined> {
  await mkdir(path, { recursive: true });
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${Math.round(options.sizeMb * 1024)}k`, "tmpfs", path]);
  } catch (error) {
    console.log(
      `      SKIPPED: cannot mount a tmpfs at ${path} (needs root): ${(error as Error).message.trim()}`,
    );
    return undefined;
  }
  const unmount = async () => {
    await run("umount", [path]);
  };
  try {
    if (options.readOnlyCopyOf !== undefined) {
      await cp(options.readOnlyCopyOf, path, { recursive: true });
      await run("mount", ["-o", "remount,ro", path]);
    }
  } catch (error) {
    await unmount();
    throw error;
  }
  return {
    path,
    resize: async (sizeMb) => {
      await run("mount", ["-o", `remount,size=${sizeMb}m`, path]);
    },
    unmount,
  };
}
