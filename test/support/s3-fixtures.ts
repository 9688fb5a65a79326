import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContentAddress } from "../../pipeline/content/types.js";

export interface Fixture {
  path: string;
  bytes: Buffer;
  address: ContentAddress;
}

/** The address the content module would compute, minus a real CID, which S3 only stores as metadata. */
export function addressOf(bytes: Uint8Array): ContentAddress {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { size: bytes.length, sha256, cid: `bafytest${sha256.slice(0, 16)}`, profile: "unixfs-v1-2025" };
}

/** A file of random bytes, so every fixture has its own content key. */
export async function writeFixture(dir: string, name: string, size: number): Promise<Fixture> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes, address: addressOf(bytes) };
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
