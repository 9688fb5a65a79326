import * as dagPb from "@ipld/dag-pb";
import type { GraphNode, GraphWalkerFactory } from "helia";
import type { WritableStorage } from "ipfs-unixfs-importer";
import { createUnsafe } from "multiformats/block";
import type { BlockCursorView, BlockView, ByteView } from "multiformats/block/interface";
import type { CID } from "multiformats/cid";

type AnyBlock = BlockView<unknown, number, number, 0 | 1>;

/**
 * The blocks one import wrote, with each block's links, so the DAG can be pinned without reading it
 * back: Helia's own walker loads every block from disk to find links, which for audio meant reading
 * each file a second time (3 of the 4 seconds of adding 100 × 4 MB tracks to the embedded node).
 * Leaves keep only their CID, as their bytes lived in reused read buffers.
 */
export class WrittenDag {
  readonly #blocks = new Map<string, AnyBlock>();

  /** A blockstore that writes through to `target` and records what it wrote. */
  recording(target: WritableStorage): WritableStorage {
    return {
      put: async (cid, bytes, options) => {
        // The importer hands over whole blocks; the interface also allows streams, which it never sends.
        if (!(bytes instanceof Uint8Array)) throw new TypeError(`block ${cid} arrived as a stream`);
        await target.put(cid, bytes, options);
        this.#record(cid, bytes);
        return cid;
      },
    };
  }

  #record(cid: CID, bytes: Uint8Array): void {
    const node = cid.code === dagPb.code ? dagPb.decode(bytes) : undefined;
    // Leaves (raw, or dag-pb under kubo-v0) are as big as a chunk and have nothing to walk: only nodes
    // with links are kept whole, and they are small (1024 links at most).
    const block =
      node === undefined || node.Links.length === 0
        ? new LinklessBlock(cid)
        : createUnsafe({ bytes, cid, value: node, codec: dagPb });
    this.#blocks.set(cid.toString(), block);
  }

  /**
   * A walker for `pins.add` over the recorded blocks, depth first from the root as Helia's default
   * walks. A block the import did not write (a root from somewhere else) is an error, not a partial pin.
   */
  walker(): GraphWalkerFactory {
    const blocks = this.#blocks;
    return () => ({
      async *walk<T>(root: CID, options: { depth?: number } = {}) {
        const maxDepth = options.depth ?? Number.POSITIVE_INFINITY;
        const stack: Array<{ cid: CID; depth: number; path: CID[] }> = [
          { cid: root, depth: 0, path: [root] },
        ];
        while (stack.length > 0) {
          const { cid, depth, path } = stack.pop()!;
          const block = blocks.get(cid.toString());
          if (block === undefined) throw new Error(`block ${cid} was not written by this import`);
          yield { block, depth, path } as GraphNode<T>;
          if (depth >= maxDepth) continue;
          const children = [...block.links()].map(([, link]) => link);
          for (const child of children.reverse())
            stack.push({ cid: child, depth: depth + 1, path: [...path, child] });
        }
      },
    });
  }
}

/**
 * A block without links whose bytes were not kept. Pinning needs its CID only; any other use throws
 * rather than see wrong bytes.
 */
class LinklessBlock implements AnyBlock {
  constructor(readonly cid: CID<unknown, number, number, 0 | 1>) {}

  get bytes(): ByteView<unknown> {
    return this.#notKept();
  }

  get value(): unknown {
    return this.#notKept();
  }

  *links(): Iterable<[string, CID]> {}

  *tree(): Iterable<string> {}

  get(): BlockCursorView<unknown> {
    return this.#notKept();
  }

  #notKept(): never {
    throw new Error(`block ${this.cid} was written by this import and its bytes were not kept`);
  }
}
