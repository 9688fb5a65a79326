import { stat } from "node:fs/promises";
import { basename } from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { loadPipelineConfig, type PipelineConfig } from "./config/pipeline-config.js";
import { addressFile } from "./content/address.js";
import type { ContentAddress } from "./content/types.js";
import { InputError } from "./errors.js";
import { type Ledger, openLedger } from "./ledger/ledger.js";
import { claimsToBeAudio, detectFile } from "./library/audio-format.js";
import { encodeMetadata } from "./metadata/encode.js";
import { checkImage, DEFAULT_ARTWORK_LIMITS } from "./metadata/image-check.js";
import type { ObjectKind, ProviderStats, PutRequest, StoredObject } from "./providers/types.js";
import { RunEvents } from "./report/events.js";
import { runKey } from "./run/run-pipeline.js";
import { runTrack, type TrackStepContext } from "./run/run-track.js";
import { scanTrack } from "./scan/scan-track.js";
import { metadataAddress } from "./stages/metadata.js";
import { previewSettings } from "./stages/preview.js";
import { type StoreOutcome, type StoreTarget, storeObject } from "./stages/store.js";
import { assertRoutable } from "./storage/routing.js";
import { StorageSet } from "./storage/storage-set.js";

export interface UploadedObject {
  /** SHA-256 of the bytes (hex): the on-chain content hash for audio. */
  contentHash: string;
  size: number;
  cid: string;
  mimeType: string;
  /** One record per provider that holds the object. */
  stored: StoredObject[];
  /** A playable or downloadable URL per provider (signed and expiring for a private bucket). */
  urls: Record<string, string>;
  /** Providers that failed, with the reason (the object is still usable from the others). */
  failures: Array<{ provider: string; reason: string }>;
}

export interface CompleteTrack {
  contentHash: string;
  audio: UploadedObject;
  artworkCid?: string;
  metadataCid: string;
  /** `ipfs://<metadata CID>`: what the token's tokenURI will return once minted. */
  nftMetadataUrl: string;
}

export interface StorageStats {
  providers: ProviderStats[];
  objects: number;
  bytes: number;
}

/**
 * The programmatic API, in the shape of the original design's `DecentralizedStorageManager`: every
 * provider of the environment behind one object, with the pipeline's ledger, policy and verification.
 * A manager is a run of its own: a complete track goes through the runner's track step, and its outcome
 * is recorded under `run` as a run records it.
 */
export class DecentralizedStorageManager {
  readonly config: PipelineConfig;
  readonly storage: StorageSet;
  /** This manager's key in the ledger's outcome records (`Ledger.outcomes`). */
  readonly run: string;
  readonly #ledger: Ledger;
  readonly #limit: LimitFunction;
  readonly #steps: TrackStepContext;
  /** Complete tracks asked for so far: each one's place among this manager's outcomes. */
  #tracks = 0;

  private constructor(config: PipelineConfig, storage: StorageSet, ledger: Ledger, events: RunEvents) {
    this.config = config;
    this.storage = storage;
    // Not a run's key: a manager beside a run of the same work directory leaves that run's outcomes alone.
    this.run = `${runKey(config)}#api`;
    this.#ledger = ledger;
    this.#limit = pLimit(config.maxConcurrentUploads);
    this.#steps = {
      run: this.run,
      config,
      record: (record) => ledger.record(record),
      storage,
      uploadLimit: this.#limit,
      pinLimit: this.#limit,
      preview: previewSettings(config),
      events,
      workers: false,
    };
  }

  /**
   * Builds the providers from the environment (embedded defaults for whatever is not configured), refusing
   * the settings a run refuses. `progress` is told what happens to complete tracks, as a run's listeners are.
   */
  static async fromEnv(
    options: {
      env?: Record<string, string | undefined>;
      overrides?: Partial<PipelineConfig>;
      progress?: RunEvents;
    } = {},
  ): Promise<DecentralizedStorageManager> {
    const env = options.env ?? process.env;
    const config = loadPipelineConfig(env, options.overrides);
    // The ledger first: its lock turns a second process away before it starts any server.
    const ledger = await openLedger(config);
    let storage: StorageSet | undefined;
    try {
      storage = await StorageSet.open({ env, workDir: config.workDir });
      assertRoutable(storage.policy(config));
      const manager = new DecentralizedStorageManager(
        config,
        storage,
        ledger,
        options.progress ?? new RunEvents(),
      );
      await ledger.record({ type: "run-started", run: manager.run });
      return manager;
    } catch (error) {
      await storage?.close();
      await ledger.close();
      throw error;
    }
  }

  /** Audio to the S3 primary and the IPFS backup; fails when a provider DCMX_REQUIRE names fails, as a run does. */
  async uploadAudioFile(path: string, meta: Record<string, string> = {}): Promise<UploadedObject> {
    const detected = await detectFile(path);
    if (detected.kind !== "audio") {
      const what =
        detected.kind === "image" ? detected.mimeType : (detected.detected ?? "not a known audio format");
      throw new InputError(
        "NOT_AUDIO",
        `is not audio: its bytes are ${(await stat(path)).size === 0 ? "empty" : what}`,
        {
          file: basename(path),
          field: "content",
          hint: "pass an MP3, FLAC, Ogg, WAV, AIFF or M4A file",
        },
      );
    }
    const address = await addressFile(path, { profile: this.config.cidProfile });
    return this.#upload("audio", path, address, detected.mimeType, detected.extension, meta);
  }

  /** Artwork (JPEG, PNG, WebP or GIF, checked by its bytes) to IPFS. */
  async uploadArtwork(path: string): Promise<UploadedObject> {
    if (claimsToBeAudio(path))
      throw new InputError("NOT_IMAGE", "is audio, not artwork", { file: path, field: "artwork" });
    const facts = await checkImage({ path }, basename(path), basename(path), DEFAULT_ARTWORK_LIMITS);
    const address = await addressFile(path, { profile: this.config.cidProfile });
    return this.#upload("artwork", path, address, facts.mimeType, facts.extension);
  }

  /** Any metadata document as canonical JSON, pinned on IPFS; returns its CID and `ipfs://` URL. */
  async uploadNftMetadata(metadata: object): Promise<{ cid: string; url: string; stored: StoredObject[] }> {
    const { bytes, cid } = encodeMetadata(metadata);
    const address = await metadataAddress(bytes, cid);
    const outcome = await this.#store(this.storage.providersFor("metadata", true), {
      kind: "metadata",
      source: { bytes },
      address,
      mimeType: "application/json",
      extension: ".json",
    });
    throwIfNothingStored(outcome, "metadata");
    return { cid, url: `ipfs://${cid}`, stored: outcome.stored };
  }

  /**
   * The original design's full workflow for one track: audio (dual storage), artwork, ERC-721 metadata
   * built from the file's tags with `trackMetadata` on top, pinned and verified. Ready to mint. The runner's
   * track step does it, so DCMX_REQUIRE, the ledger's records and a second call's skipped copies are a
   * run's; a track left failed or pending throws the error that stopped it.
   */
  async uploadCompleteTrack(input: {
    audioFilePath: string;
    artworkFilePath?: string;
    trackMetadata?: Record<string, unknown>;
  }): Promise<CompleteTrack> {
    const { track, problems } = await scanTrack(input.audioFilePath, {
      tags: input.trackMetadata,
      artworkPath: input.artworkFilePath,
      profile: this.config.cidProfile,
      extractDir: `${this.config.workDir}/artwork`,
    });
    if (track === undefined) {
      const problem = problems.find((p) => p.severity === "error") ?? problems[0];
      throw new InputError(problem?.code ?? "NOT_A_TRACK", problem?.message ?? "is not a usable track", {
        file: input.audioFilePath,
      });
    }
    const order = this.#tracks++;
    const step = await runTrack(this.#steps, track, order, await this.#ledger.track(track.content.sha256));
    const metadataCid = step.metadataCid;
    if (metadataCid === undefined) {
      throw (
        step.cause ??
        new InputError(step.outcome.status.toUpperCase(), step.outcome.error ?? step.outcome.status, {
          file: track.file,
        })
      );
    }
    const stored = (await this.#ledger.storedObjects(track.content.sha256)).filter((o) => o.kind === "audio");
    return {
      contentHash: track.content.sha256,
      audio: {
        contentHash: track.content.sha256,
        size: track.content.size,
        cid: track.content.cid,
        mimeType: track.mimeType,
        stored,
        urls: await this.#urls(stored),
        failures: [],
      },
      artworkCid: track.artwork?.content.cid,
      metadataCid,
      nftMetadataUrl: `ipfs://${metadataCid}`,
    };
  }

  async getStorageStats(): Promise<StorageStats> {
    const providers = await Promise.all(this.storage.all().map((p) => p.stats()));
    return {
      providers,
      objects: providers.reduce((sum, p) => sum + p.objects, 0),
      bytes: providers.reduce((sum, p) => sum + p.bytes, 0),
    };
  }

  async close(): Promise<void> {
    await this.#ledger.close();
    await this.storage.close();
  }

  async #upload(
    kind: ObjectKind,
    path: string,
    address: ContentAddress,
    mimeType: string,
    extension: string,
    meta?: Record<string, string>,
  ): Promise<UploadedObject> {
    const outcome = await this.#store(this.storage.providersFor(kind, this.config.includeIpfsBackup), {
      kind,
      source: { path },
      address,
      mimeType,
      extension,
      meta,
    });
    throwIfNothingStored(outcome, kind);
    const required = outcome.failures.find((f) => this.storage.blocksMint(kind, f.target.role, this.config));
    if (required !== undefined) throw required.error;
    return {
      contentHash: address.sha256,
      size: address.size,
      cid: address.cid,
      mimeType,
      stored: outcome.stored,
      urls: await this.#urls(outcome.stored),
      failures: outcome.failures.map((f) => ({ provider: f.target.provider.name, reason: f.reason })),
    };
  }

  /** Stores one object outside any track; the ledger remembers its copies, so a second call sends nothing. */
  async #store(targets: StoreTarget[], request: PutRequest): Promise<StoreOutcome> {
    const sha256 = request.address.sha256;
    return storeObject({
      targets,
      request,
      existing: await this.#ledger.storedObjects(sha256),
      uploadLimit: this.#limit,
      onStored: (object) => this.#ledger.record({ type: "stored", sha256, object }),
    });
  }

  async #urls(stored: StoredObject[]): Promise<Record<string, string>> {
    const urls: Record<string, string> = {};
    for (const object of stored) {
      const provider = this.storage.all().find((p) => p.name === object.provider);
      if (provider) urls[object.provider] = await provider.url(object);
    }
    return urls;
  }
}

function throwIfNothingStored(outcome: StoreOutcome, kind: string): void {
  if (outcome.stored.length === 0 && outcome.failures.length > 0) throw outcome.failures[0]!.error;
  if (outcome.stored.length === 0)
    throw new InputError("NO_PROVIDER", `no provider takes ${kind}`, { field: kind });
}
