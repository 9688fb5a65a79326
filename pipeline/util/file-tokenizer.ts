import { type FileTokenizer, fromFile, type IFileInfo } from "strtok3";
import type { FilePath } from "./file-name.js";

/**
 * A random-access reader of one file over one open handle, for the parsers that read headers and tags
 * (file-type, music-metadata). Their Blob readers open the file again for every range they read, which
 * cost more than the rest of a small track's scan. strtok3 types the path as a string, but it only hands
 * it to `fs.open`, which takes a name's raw bytes as well.
 */
export async function withFileTokenizer<T>(
  path: FilePath,
  fileInfo: IFileInfo,
  read: (tokenizer: FileTokenizer) => Promise<T>,
): Promise<T> {
  const tokenizer = await fromFile(path as string, { fileInfo });
  try {
    return await read(tokenizer);
  } finally {
    await tokenizer.close();
  }
}
