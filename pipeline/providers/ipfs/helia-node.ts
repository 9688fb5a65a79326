import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type UnixFS, unixfs } from "@helia/unixfs";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight, type Helia } from "helia";
import { CID } from "multiformats/cid";
import { importerOptions } from "../../content/profiles.js";
import type { ContentAddress } from "../../content/types.js";
import { ProviderError } from "../../errors.js";
import { type ByteSource, openSource, type StoredObject } from "../types.js";
import { assertSameCid, assertStreamMatches } from "./guard.js";
import { serveGateway } from "./helia-gateway.js";
import { localOnlyRouter } from "./local-only-router.js";

export const EMBEDDED_NODE = "ipfs";

/**
 * The embedded IPFS node: a light Helia (no libp2p, no bootstrap, no DHT, no public routers) whose blocks
 * and pins live on disk, plus a trustless gateway on 127.0.0.1 so browsers and other processes can read it.
 */
export class EmbeddedIpfsNode {
  #helia?: Helia;
  #stores?: { blockstore: FsBlockstore; datastore: FsDatastore };
  #fs?: UnixFS;
  #closeGateway?: () => Promise<void>;
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
    const blockstore = new FsBlockstore(join(directory, "blocks"));
    const datastore = new FsDatastore(join(directory, "datastore"));
    await blockstore.open();
    await datastore.open();
    this.#stores = { blockstore, datastore };
    this.#helia = await createHeliaLight({ blockstore, datastore, routers: [localOnlyRouter] }).start();
    this.#fs = unixfs(this.#helia);
    return this;
  }

  /** Serves the trustless gateway on 127.0.0.1:`port` (0 picks a free port) and returns its base URL. */
  async serve({ port }: { port: number }): Promise<string> {
    if (this.#gatewayUrl !== undefined) return this.#gatewayUrl;
    const gateway = await serveGateway(this.helia, port);
    this.#closeGateway = gateway.close;
    this.#gatewayUrl = gateway.url;
    return gateway.url;
  }

  async stop(): Promise<void> {
    await this.#closeGateway?.();
    this.#closeGateway = undefined;
    this.#gatewayUrl = undefined;
    await this.#helia?.stop();
    // Helia stops the stores it was given but only their owner closes them.
    await this.#stores?.blockstore.close();
    await this.#stores?.datastore.close();
    this.#helia = undefined;
    this.#fs = undefined;
    this.#stores = undefined;
  }

  /**
   * Imports the bytes with the same UnixFS options we computed `address` with and pins the DAG; a CID
   * different from `address.cid` means our settings and Helia's disagree, and the add is an error.
   */
  async add(source: ByteSource, address: ContentAddress, signal?: AbortSignal): Promise<CID> {
    const fs = this.#unixfs();
    // Our profile's options carry no progress listener; dropping the type lets Helia add its own events.
    const { onProgress: _none, ...options } = importerOptions(address.profile);
    // A local write runs to completion even when the run is cancelled (`signal` is checked after it): it is
    // quick, and Helia's abortable internals leave a promise rejected with the signal's reason unhandled,
    // which crashed the process when a Ctrl-C landed mid-add.
    const cid = await fs.addByteStream(openSource(source), options);
    assertSameCid(EMBEDDED_NODE, address.cid, cid);
    await this.pin(cid);
    signal?.throwIfAborted();
    return cid;
  }

  async pin(cid: CID): Promise<void> {
    if (await this.helia.pins.isPinned(cid)) return;
    for await (const _ of this.helia.pins.add(cid)) {
      // pins.add yields each block as it is pinned; draining it is what performs the pin.
    }
  }

  async isPinned(cid: string | CID): Promise<boolean> {
    return this.helia.pins.isPinned(toCid(cid));
  }

  /** Whether every block of the DAG is on disk (offline: never asks the network). */
  async has(cid: string | CID, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#unixfs().stat(toCid(cid), { offline: true, signal });
      return true;
    } catch {
      return false;
    }
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

function toCid(cid: string | CID): CID {
  return typeof cid === "string" ? CID.parse(cid) : cid;
}
