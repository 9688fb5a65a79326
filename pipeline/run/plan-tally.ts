import type { MintItem } from "../chain/tracks-chain.js";
import type { PipelineConfig } from "../config/pipeline-config.js";
import { addObject, emptyHolding, type Holding } from "../cost/monthly-cost.js";
import { encodeMetadata } from "../metadata/encode.js";
import { buildTrackMetadata } from "../metadata/track-metadata.js";
import { type PreviewEstimate, PreviewTally } from "../preview/estimate.js";
import type { ObjectKind } from "../providers/types.js";
import { scanLibrary } from "../scan/scan-library.js";
import { encodeConcurrency } from "../stages/preview.js";
import { OBJECT_KINDS, type StorageRole } from "../storage/routing.js";

/**
 * What the dry run learns of a library: running totals kept while the scan streams its tracks, never a list
 * of them, so the plan of a million tracks holds what the plan of ten does. Only the distinct covers are
 * remembered (a SHA-256 each), because an album's cover is stored once however many tracks share it.
 */
export interface LibraryTally {
  tracks: number;
  /** Problems of severity `error`: the library's and its tracks'. */
  errors: number;
  previews: PreviewEstimate;
  /** The objects a run would store, per kind, with bytes billed as no price's minimum object size bills them. */
  byKind: Record<ObjectKind, Holding>;
  /** The same objects as each role's price bills them (Storj counts objects under 50 KB as 50 KB). */
  billed: Map<StorageRole, Record<ObjectKind, Holding>>;
  /** Gas of every mint batch, when a simulation was given. */
  gas?: bigint;
}

export async function tallyLibrary(options: {
  config: PipelineConfig;
  /** Where the scan extracts embedded covers. */
  extractDir: string;
  /** How each estimated role's price bills an object's bytes. */
  billers: Array<[StorageRole, (bytes: number) => number]>;
  /** A mint batch's gas, asked once per batch of `config.mintBatchSize` tracks while the scan goes on. */
  estimateGas?: (items: MintItem[]) => Promise<bigint>;
}): Promise<LibraryTally> {
  const { config, billers } = options;
  const byKind = perKind();
  const billed = new Map(billers.map(([role]) => [role, perKind()]));
  const add = (kind: ObjectKind, size: number) => {
    addObject(byKind[kind], size, (bytes) => bytes);
    for (const [role, bill] of billers) addObject(billed.get(role)![kind], size, bill);
  };
  const previews = new PreviewTally(config.previewFormat, encodeConcurrency(config));
  const covers = new Set<string>();
  const gas = options.estimateGas && new GasTally(options.estimateGas, config.mintBatchSize);
  let tracks = 0;
  let errors = 0;
  const summary = await scanLibrary(config.library, {
    metadataFile: config.metadataFile,
    artworkDir: config.artworkDir,
    extractDir: options.extractDir,
    profile: config.cidProfile,
    // Holds the scan back while a mint batch waits for its estimate: the batches waiting stay few.
    admit: async () => {
      await gas?.ready();
      return () => {};
    },
    onAudioFile: (outcome) => {
      if (outcome.kind !== "track") return;
      const { track } = outcome;
      tracks++;
      errors += outcome.warnings.filter((p) => p.severity === "error").length;
      add("audio", track.content.size);
      const preview = previews.add(track);
      if (preview !== undefined) add("preview", preview);
      const cover = track.artwork?.content;
      if (cover !== undefined && !covers.has(cover.sha256)) {
        covers.add(cover.sha256);
        add("artwork", cover.size);
      }
      const document = encodeMetadata(buildTrackMetadata(track));
      add("metadata", document.bytes.length);
      gas?.add(outcome.order, { sha256: track.content.sha256, metadataCid: document.cid });
      outcome.release();
    },
  });
  errors += summary.problems.filter((p) => p.severity === "error").length;
  return { tracks, errors, previews: previews.estimate, byKind, billed, gas: await gas?.total() };
}

const perKind = () =>
  Object.fromEntries(OBJECT_KINDS.map((kind) => [kind, emptyHolding()])) as Record<ObjectKind, Holding>;

/**
 * Mint batches estimated as the scan fills them, one at a time. A batch holds the tracks in the order the
 * scan decided them, sorted by library order: a library of one batch is estimated exactly as it is minted.
 */
class GasTally {
  readonly #estimate: (items: MintItem[]) => Promise<bigint>;
  readonly #size: number;
  #batch: Array<{ order: number; item: MintItem }> = [];
  #queue: Promise<void> = Promise.resolve();
  #waiting = 0;
  #total = 0n;
  #error: unknown;

  constructor(estimate: (items: MintItem[]) => Promise<bigint>, size: number) {
    this.#estimate = estimate;
    this.#size = size;
  }

  add(order: number, item: MintItem): void {
    this.#batch.push({ order, item });
    if (this.#batch.length === this.#size) this.#send();
  }

  /** Resolves once at most one batch waits for its estimate; rejects once an estimate failed. */
  async ready(): Promise<void> {
    while (this.#waiting > 1) await this.#queue;
    if (this.#error !== undefined) throw this.#error;
  }

  async total(): Promise<bigint> {
    if (this.#batch.length > 0) this.#send();
    await this.#queue;
    if (this.#error !== undefined) throw this.#error;
    return this.#total;
  }

  #send(): void {
    const items = this.#batch.sort((a, b) => a.order - b.order).map((entry) => entry.item);
    this.#batch = [];
    this.#waiting++;
    // A failed estimate is kept for `ready` and `total` rather than left as a rejection nobody awaits yet.
    this.#queue = this.#queue
      .then(async () => {
        if (this.#error === undefined) this.#total += await this.#estimate(items);
      })
      .catch((error: unknown) => {
        this.#error ??= error;
      })
      .finally(() => {
        this.#waiting--;
      });
  }
}
