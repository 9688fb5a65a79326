import { InputError } from "../../errors.js";
import type { ObjectKind } from "../types.js";

const PREFIX: Record<ObjectKind, string> = {
  audio: "audio",
  preview: "preview",
  artwork: "art",
  metadata: "metadata",
};

/**
 * The object key is derived from the content alone (`audio/<sha256>.mp3`), so the same bytes map to one
 * key whatever the file was called and a second upload of them is found by a HEAD and skipped.
 */
export function objectKey(kind: ObjectKind, sha256: string, extension: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new InputError("KEY", `"${sha256}" is not a lower-case hex SHA-256`, { field: "sha256" });
  }
  const ext = extension.toLowerCase();
  if (ext !== "" && !/^\.[a-z0-9]{1,10}$/.test(ext)) {
    throw new InputError("KEY", `"${extension}" is not a file extension like ".mp3"`, {
      field: "extension",
      hint: "pass the extension with its dot, letters and digits only",
    });
  }
  return `${PREFIX[kind]}/${sha256}${ext}`;
}
