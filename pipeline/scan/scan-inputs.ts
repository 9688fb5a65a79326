import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InputError } from "../errors.js";

/** The library root or --artwork-dir: a folder, or an InputError naming the option. */
export async function requireDirectory(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new InputError("NOT_A_DIRECTORY", `${path} is not a directory`, {
      file: path,
      field: what,
      hint: "pass the folder that holds your tracks",
    });
  }
}

/** The metadata.json a scan reads: the one given (which must exist), else the library's own if it has one. */
export async function findMetadataFile(root: string, given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) {
    const path = resolve(given);
    if (!(await stat(path).catch(() => undefined))?.isFile()) {
      throw new InputError("NO_METADATA_FILE", "file not found", {
        file: path,
        field: "--metadata",
        hint: "pass the path of your metadata.json, or leave the option out",
      });
    }
    return path;
  }
  const beside = join(root, "metadata.json");
  return (await stat(beside).catch(() => undefined))?.isFile() ? beside : undefined;
}
