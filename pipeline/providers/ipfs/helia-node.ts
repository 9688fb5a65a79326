import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type UnixFS, unixfs } from "@helia/unixfs";
import type { Helia } from "helia";
import { CID } from "multiformats/cid";
import { importRoot } from "../../content/import.js";
import { consumeFile } from "../../content/read.js";
import type { ContentAddress } from "../../content/types.js";
import { describeError, ProviderError } from "../../errors.js";
import type { ByteSource, StoredObject } from "../types.js";
import { importFileStores } from "./file-stores-import.js";
import { assertSameCid, assertStreamMatches } from "./guard.js";
import { serveGateway } from "./helia-gateway.js";
import { createHeliaLight } from "./helia-light.js";
import { localOnlyRouter } from "./local-only-router.js";
import { NODE_DATABASE, NodeStores } from "./node-stores.js";
import { WrittenDag } from "./written-dag.js";

export const EMBEDDED_NODE = "ipfs";

/**
 * The embedded IPFS node: a light Helia (no libp2p, no bootstrap, no DHT, no public routers) whose blocks
 * and pins live on disk in one database (node-stores.ts), plus a trustless gateway on 127.0.0.1 so browsers
 * and other processes can read it.
 */
export class EmbeddedIpfsNode {
  #helia?: Helia;
  #stores?: NodeStores;
  #fs?: UnixFS;
  #closeGateway?: () => Promise<void>;
  #warmGateway?: () => Promise<void>;
  #gatewayUrl?: string;

  get helia(): Helia {
    if (this.#helia === undefined)
      throw new ProviderError("NOT_STARTED", "the embedded node is not started", { provider: EMBEDDED_NODE });
    return this.#helia;
  }

  get gatewayUrl(): string | undefined {
    return this.#gatewayUrl;
  }

  async start({ directory }: { directory: string }): Promise<this> {
    await mkdir(directory, { recursive: true });
    const database = join(directory, NODE_DATABASE);
    let stores: NodeStores;
    try {
      stores = NodeStores.open(database);
    } catch (cause) {
      throw new ProviderError(
        "UNAVAILABLE",
        `cannot open its database ${database}: ${describeError(cause)}`,
        {
          provider: EMBEDDED_NODE,
          field: "IPFS_REPO",
          hint: "free space on that disk, or set IPFS_REPO to a folder on a disk with room",
          cause,
        },
      );
    }
    this.#stores = stores;
    await importFileStores(directory, stores).catch((error: unknown) => {
      stores.close();
      this.#stores = undefined;
      throw error;
    });
    const helia = await createHeliaLight({
      blockstore: stores.blockstore,
      datastore: stores.datastore,
      routers: [localOnlyRouter],
    });
    this.#helia = await helia.start();
    this.#fs = unixfs(this.#helia);
    return this;
  }

  /** Serves the trustless gateway on 127.0.0.1:`port` (0 picks a free port) and returns its base URL. */
  async serve({ port }: { port: number }): Promise<string> {
    if (this.#gatewayUrl !== undefined) return this.#gatewayUrl;
    const gateway = await serveGateway(this.helia, port);
    this.#closeGateway = gateway.close;
    this.#warmGateway = gateway.warm;
    this.#gatewayUrl = gateway.url;
    return gateway.url;
  }

  /** Readies the gateway for its first request, for a process that is there to serve it (`dcmx serve`). */
  async warmGateway(): Promise<void> {
    await this.#warmGateway?.();
  }

  async stop(): Promise<void> {
    await this.#closeGateway?.();
    this.#closeGateway = undefined;
    this.#warmGateway = undefined;
    this.#gatewayUrl = undefined;
    await this.#helia?.stop();
    // Helia stops the stores it was given but only their owner closes them.
    this.#stores?.close();
    this.#helia = undefined;
    this.#fs = undefined;
    this.#stores = undefined;
  }

  /**
   * Writes the bytes' UnixFS DAG into the node under `address.profile` and pins it; a root CID different
   * from `address.cid` means the bytes changed since they were addressed, and the add is an error. Files
   * are read through reused buffers with each block written before the next is read, and the pin walks
   * the blocks just written instead of reading them back from disk.
   */
  async add(
    source: ByteSource,
    address: ContentAddress,
    signal?: AbortSignal,
    onWritten?: (bytes: number) => void,
  ): Promise<CID> {
    const blockstore = this.helia.blockstore;
    const dag = new WrittenDag();
    const write = (content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) =>
      importRoot([{ content }], dag.recording(blockstore), address.profile);
    // A local write runs to completion even when the run is cancelled (`signal` is checked after it): it is
    // quick, and an abandoned import would leave blocks behind without the pin that accounts for them.
    const cid =
      "path" in source
        ? await consumeFile(source.path, { sha256: false }, (file) => write(counted(file.pieces, onWritten)))
        : await write(counted([source.bytes], onWritten));
    assertSameCid(EMBEDDED_NODE, address.cid, cid);
    await this.pin(cid, dag);
    signal?.throwIfAborted();
    return cid;
  }

  /** Pins a DAG on disk; `written`, the blocks an add just wrote, spares reading them back to walk it. */
  async pin(cid: CID, written?: WrittenDag): Promise<void> {
    if (await this.helia.pins.isPinned(cid)) return;
    for await (const _ of this.helia.pins.add(cid, { walker: written?.walker() })) {
      // pins.add yields each block as it is pinned; draining it is what performs the pin.
    }
  }

  /**
   * Whether the DAG is pinned, which is how the node says it holds every block of it: Helia writes a pin
   * only after walking the whole DAG, so an add that was interrupted (some blocks on disk, no pin) is not
   * held and is added again. Offline: it never asks the network.
   */
  async isPinned(cid: string | CID, signal?: AbortSignal): Promise<boolean> {
    return this.helia.pins.isPinned(toCid(cid), { signal });
  }

  async fileSize(cid: string | CID): Promise<number> {
    const stat = await this.#unixfs().stat(toCid(cid), { offline: true });
    return Number(stat.size);
  }

  /** The file's bytes, streamed from the local blockstore. */
  get(cid: string | CID, signal?: AbortSignal): Readable {
    return Readable.from(this.#unixfs().cat(toCid(cid), { offline: true, signal }));
  }

  /** Reads the file back from disk and throws `IntegrityError` unless it has the size and SHA-256 we recorded. */
  async verify(object: Pick<StoredObject, "cid" | "sha256" | "size">, signal?: AbortSignal): Promise<void> {
    await assertStreamMatches(EMBEDDED_NODE, object, this.get(object.cid, signal));
  }

  #unixfs(): UnixFS {
    if (this.#fs === undefined)
      throw new ProviderError("NOT_STARTED", "the embedded node is not started", { provider: EMBEDDED_NODE });
    return this.#fs;
  }
}

async function* counted(
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const piece of pieces) {
    onBytes?.(piece.byteLength);
    yield piece;
  }
}

function toCid(cid: string | CID): CID {
  return typeof cid === "string" ? CID.parse(cid) : cid;
}
