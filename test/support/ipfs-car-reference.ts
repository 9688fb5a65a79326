import { Readable } from "node:stream";
import { type Block, createFileEncoderStream } from "ipfs-car";
import { seededChunks } from "./seeded-bytes.js";

/**
 * The CID `ipfs-car` gives some bytes. It builds DAGs with @ipld/unixfs, an implementation
 * independent of the ipfs-unixfs-importer we use, so agreement is evidence rather than tautology.
 */
export async function ipfsCarCid(source: Uint8Array | { seed: string; length: number }): Promise<string> {
  const chunks = source instanceof Uint8Array ? [source] : seededChunks(source.seed, source.length);
  const blob = { stream: () => Readable.toWeb(Readable.from(chunks)) as ReadableStream<Uint8Array> };
  let root: Block | undefined;
  for await (const block of createFileEncoderStream(blob) as unknown as AsyncIterable<Block>) root = block;
  return root!.cid.toString();
}
