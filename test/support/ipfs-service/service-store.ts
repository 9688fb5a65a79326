import { CarBlockIterator, CarWriter } from "@ipld/car";
import * as dagPb from "@ipld/dag-pb";
import { exporter } from "ipfs-unixfs-exporter";
import { importer } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import { assertBlockMatches } from "../../../pipeline/providers/ipfs/guard.js";

/** A CAR the service refused, with the reason a real service gives (bad block, missing blocks, roots). */
export class CarRefused extends Error {}

export interface StoredRoot {
  cid: CID;
  /** Bytes of blocks the CAR carried. */
  size: number;
  created: Date;
  /** Its gateway answers 404 before this time, as hosted gateways do right after an upload. */
  visibleAt: number;
}

/**
 * What every IPFS service stand-in keeps: verified blocks and the roots it holds. A CAR is taken only
 * when it has one root, every block hashes to its CID and the root's DAG is complete; the root the
 * service reports is the one it read and checked, never one the client told it. Plain (non-CAR) uploads
 * are chunked the service's own way, so a client that sends raw bytes gets the service's CID, not ours.
 */
export class ServiceStore {
  readonly blocks = new Map<string, Uint8Array>();
  readonly roots = new Map<string, StoredRoot>();
  /** Milliseconds a fresh root stays invisible on the gateway. */
  invisibleMs: number;
  /** Reads of a root held but not visible yet: the 404s a client's read-back met. */
  hiddenReads = 0;

  constructor(options: { invisibleMs?: number } = {}) {
    this.invisibleMs = options.invisibleMs ?? 0;
  }

  /** Reads, checks and keeps a CAR; returns the root it holds. */
  async importCar(stream: AsyncIterable<Uint8Array>): Promise<StoredRoot> {
    let car: CarBlockIterator;
    try {
      car = await CarBlockIterator.fromIterable(stream);
    } catch (error) {
      throw new CarRefused(`invalid CAR header: ${(error as Error).message}`);
    }
    const roots = await car.getRoots();
    if (roots.length !== 1) throw new CarRefused(`expected one root, the CAR has ${roots.length}`);
    const received = new Map<string, Uint8Array>();
    let size = 0;
    try {
      for await (const block of car) {
        const cid = CID.asCID(block.cid)!;
        await assertBlockMatches("client", cid, block.bytes);
        received.set(cid.toV1().toString(), block.bytes);
        size += block.bytes.length;
      }
    } catch (error) {
      throw new CarRefused(`block refused: ${(error as Error).message}`);
    }
    const root = CID.asCID(roots[0])!;
    const missing = this.#missing(root, received);
    if (missing !== undefined) throw new CarRefused(`the DAG of ${root} lacks block ${missing}`);
    for (const [key, bytes] of received) this.blocks.set(key, bytes);
    return this.keep(root, size);
  }

  /** Adds plain bytes the way the service chunks them itself (CIDv1, 256 KiB chunks, 174 links). */
  async addBytes(bytes: Uint8Array): Promise<StoredRoot> {
    const blockstore = {
      put: async (cid: CID, block: Uint8Array) => {
        this.blocks.set(cid.toV1().toString(), block);
        return cid;
      },
    };
    let root: CID | undefined;
    for await (const entry of importer([{ content: bytes }], blockstore, {
      cidVersion: 1,
      rawLeaves: true,
    }))
      root = entry.cid;
    return this.keep(root!, bytes.length);
  }

  keep(cid: CID, size: number): StoredRoot {
    const stored = { cid, size, created: new Date(), visibleAt: Date.now() + this.invisibleMs };
    this.roots.set(cid.toV1().toString(), stored);
    return stored;
  }

  held(cid: string | CID): StoredRoot | undefined {
    return this.roots.get(parse(cid).toV1().toString());
  }

  /** Whether the gateway serves `cid` now: held, and past its invisible window. */
  visible(cid: string | CID): boolean {
    const stored = this.held(cid);
    const shown = stored !== undefined && Date.now() >= stored.visibleAt;
    if (stored !== undefined && !shown) this.hiddenReads++;
    return shown;
  }

  remove(cid: string | CID): void {
    this.roots.delete(parse(cid).toV1().toString());
  }

  /** The file's bytes (a CID or a path under one), read from the stored blocks (UnixFS exporter), as a gateway serves them. */
  async *cat(cid: string | CID): AsyncGenerator<Uint8Array> {
    parse(cid);
    const entry = await exporter(cid, this.#blockstore());
    if (entry.type !== "file" && entry.type !== "raw") throw new Error(`${cid} is not a file`);
    yield* entry.content();
  }

  /** The DAG as a CAR, as a trustless gateway serves `?format=car`. */
  async *car(cid: string | CID): AsyncGenerator<Uint8Array> {
    const root = parse(cid);
    const { writer, out } = CarWriter.create([root]);
    const write = (async () => {
      const queue = [root];
      const seen = new Set<string>();
      while (queue.length > 0) {
        const next = queue.shift()!;
        const key = next.toV1().toString();
        if (seen.has(key)) continue;
        seen.add(key);
        const bytes = this.blocks.get(key)!;
        await writer.put({ cid: next, bytes });
        if (next.code === dagPb.code) for (const link of dagPb.decode(bytes).Links) queue.push(link.Hash);
      }
      await writer.close();
    })();
    yield* out;
    await write;
  }

  #blockstore() {
    const blocks = this.blocks;
    return {
      async *get(cid: CID) {
        const bytes = blocks.get(cid.toV1().toString());
        if (bytes === undefined) throw new Error(`block ${cid} not found`);
        yield bytes;
      },
    };
  }

  /** The first block of the root's DAG found neither in `received` nor already held. */
  #missing(root: CID, received: Map<string, Uint8Array>): string | undefined {
    const queue = [root];
    while (queue.length > 0) {
      const cid = queue.shift()!;
      const key = cid.toV1().toString();
      const bytes = received.get(key) ?? this.blocks.get(key);
      if (bytes === undefined) return cid.toString();
      if (cid.code === dagPb.code) for (const link of dagPb.decode(bytes).Links) queue.push(link.Hash);
    }
    return undefined;
  }
}

/** A CID, or the root of an IPFS path (`<cid>/index.html`): what a service holds and pins is the root. */
function parse(cid: string | CID): CID {
  return typeof cid === "string" ? CID.parse(cid.split("/")[0]!) : cid;
}
