import { mkdir, open, readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { ContentAddress } from "../content/types.js";
import { DcmxError } from "../errors.js";
import type { StoredObject } from "../providers/types.js";
import { nameKey } from "../util/file-name.js";
import { redact } from "../util/secrets.js";
import { acquireLock } from "./lock.js";
import { type Deployment, type JournalRecord, JournalRecordSchema, type RecordOf } from "./records.js";

/** The journal on disk cannot be read back: the user must look at it before anything runs. */
export class JournalError extends DcmxError {}

export interface TrackState {
  sha256: string;
  file: string;
  /** The path's exact bytes (base64) when `file` does not spell them. */
  nameBytes?: string;
  size: number;
  cid: string;
  profile: RecordOf<"track">["profile"];
  mimeType: string;
  modifiedMs?: number;
  ino?: number;
  artwork?: RecordOf<"artwork">["artwork"];
  /** The playable preview of a master OpenSea cannot play, in the last format encoded. */
  preview?: RecordOf<"preview">["preview"];
  /** One entry per provider and kind; a later record for the same pair replaces the earlier one. */
  stored: StoredObject[];
  metadata?: { cid: string; path: string };
  verifiedMetadataCid?: string;
  /** Token per deployment key (`chainId:contract`). */
  minted: Map<string, { tokenId: bigint; txHash?: string }>;
  /** The last failure, cleared by any later progress of the track. */
  failure?: { stage: string; error: string };
}

export interface PendingMint {
  deployment: Deployment;
  txHash: `0x${string}`;
  sha256s: string[];
}

export const deploymentKey = (d: Deployment): string => `${d.chainId}:${d.contract.toLowerCase()}`;

const JOURNAL_FILE = "journal.jsonl";
const LOCK_FILE = "journal.lock";

/**
 * The crash-safe record of a run: an append-only JSON-lines file, each line written and fsynced before the
 * fact it records is acted on. A line torn by a crash mid-write can only be the last one; it is dropped.
 * The work directory is locked for the journal's lifetime so two processes never share it.
 */
export class Journal {
  readonly path: string;
  readonly #tracks = new Map<string, TrackState>();
  readonly #byFile = new Map<string, TrackState>();
  readonly #deployments = new Map<number, Deployment>();
  readonly #pending = new Map<string, PendingMint>();
  readonly #handle: Awaited<ReturnType<typeof open>>;
  readonly #unlock: () => Promise<void>;
  #queue: Array<{ line: string; done: (error?: unknown) => void }> = [];
  #flushing: Promise<void> | undefined;

  private constructor(path: string, handle: Awaited<ReturnType<typeof open>>, unlock: () => Promise<void>) {
    this.path = path;
    this.#handle = handle;
    this.#unlock = unlock;
  }

  static async open(workDir: string): Promise<Journal> {
    await mkdir(workDir, { recursive: true });
    const unlock = await acquireLock(join(workDir, LOCK_FILE));
    try {
      const path = join(workDir, JOURNAL_FILE);
      const { records, needsNewline } = await readRecords(path);
      const handle = await open(path, "a");
      if (needsNewline) await handle.write("\n");
      const journal = new Journal(path, handle, unlock);
      for (const record of records) journal.#apply(record);
      return journal;
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  /** Appends a record durably (group commit: concurrent appends share one fsync), then applies it. */
  async append(record: JournalRecord): Promise<void> {
    const line = `${redact(JSON.stringify(JournalRecordSchema.parse(record)))}\n`;
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, done: (error) => (error ? reject(error) : resolve()) });
      this.#flushing ??= this.#flush();
    });
    this.#apply(record);
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#handle.write(batch.map((entry) => entry.line).join(""));
        await this.#handle.datasync();
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.done(error);
      }
    }
    this.#flushing = undefined;
  }

  track(sha256: string): TrackState | undefined {
    return this.#tracks.get(sha256);
  }

  /**
   * The content address recorded for a library file whose size, mtime and inode are unchanged since it was
   * hashed, so a re-run does not read the bytes again.
   */
  knownAddress(file: {
    file: string;
    nameBytes?: string;
    size: number;
    mtimeMs: number;
    ino: number;
    profile: string;
  }): ContentAddress | undefined {
    const state = this.#byFile.get(nameKey(file));
    if (
      state === undefined ||
      state.size !== file.size ||
      state.modifiedMs !== file.mtimeMs ||
      state.ino !== file.ino ||
      state.profile !== file.profile
    ) {
      return undefined;
    }
    return { size: state.size, sha256: state.sha256, cid: state.cid, profile: state.profile };
  }

  tracks(): TrackState[] {
    return [...this.#tracks.values()];
  }

  deployment(chainId: number): Deployment | undefined {
    return this.#deployments.get(chainId);
  }

  pendingMints(deployment: Deployment): PendingMint[] {
    const key = deploymentKey(deployment);
    return [...this.#pending.values()].filter((p) => deploymentKey(p.deployment) === key);
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#handle.close();
    await this.#unlock();
  }

  #apply(record: JournalRecord): void {
    switch (record.type) {
      case "track": {
        const { type: _, ...fields } = record;
        const existing = this.#tracks.get(record.sha256);
        const state: TrackState = { stored: [], minted: new Map(), ...existing, ...fields };
        this.#tracks.set(record.sha256, state);
        this.#byFile.set(nameKey(record), state);
        return;
      }
      case "deployed": {
        // A deployment record means a fresh contract: nothing is minted on it yet, even at an address an
        // earlier contract had (a reset chain deploys to the same address again).
        const key = deploymentKey(record.deployment);
        for (const track of this.#tracks.values()) track.minted.delete(key);
        for (const [hash, pending] of this.#pending)
          if (deploymentKey(pending.deployment) === key) this.#pending.delete(hash);
        this.#deployments.set(record.deployment.chainId, record.deployment);
        return;
      }
      case "mint-sent":
        this.#pending.set(record.txHash, {
          deployment: record.deployment,
          txHash: record.txHash as `0x${string}`,
          sha256s: record.sha256s,
        });
        return;
      case "mint-settled":
        this.#pending.delete(record.txHash);
        return;
    }
    const track = this.#tracks.get(record.sha256);
    if (track === undefined) return;
    if (record.type === "failed") {
      track.failure = { stage: record.stage, error: record.error };
      return;
    }
    track.failure = undefined;
    switch (record.type) {
      case "artwork":
        track.artwork = record.artwork;
        break;
      case "preview":
        track.preview = record.preview;
        break;
      case "stored":
        track.stored = [
          ...track.stored.filter(
            (o) => o.provider !== record.object.provider || o.kind !== record.object.kind,
          ),
          record.object,
        ];
        break;
      case "metadata":
        track.metadata = { cid: record.cid, path: record.path };
        if (track.verifiedMetadataCid !== record.cid) track.verifiedMetadataCid = undefined;
        break;
      case "verified":
        track.verifiedMetadataCid = record.metadataCid;
        break;
      case "minted":
        track.minted.set(deploymentKey(record.deployment), {
          tokenId: BigInt(record.tokenId),
          txHash: record.txHash,
        });
        break;
    }
  }
}

async function readRecords(path: string): Promise<{ records: JournalRecord[]; needsNewline: boolean }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { records: [], needsNewline: false };
    throw error;
  }
  const lines = text.split("\n");
  const records: JournalRecord[] = [];
  let offset = 0;
  for (const [index, line] of lines.entries()) {
    const isLast = index === lines.length - 1;
    if (line.trim() !== "") {
      const parsed = parseLine(line);
      if (parsed === undefined) {
        if (!isLast) {
          throw new JournalError("JOURNAL", `line ${index + 1} is not a valid journal record`, {
            file: path,
            hint: "the journal was edited or the disk is failing; restore it from a backup or move it aside to start over",
          });
        }
        // The crash tore the last append: drop it so the next append starts on a clean line.
        await truncate(path, offset);
        return { records, needsNewline: false };
      }
      records.push(parsed);
    }
    offset += Buffer.byteLength(line) + 1;
  }
  // A complete last record whose newline never reached the disk must not run into the next append.
  return { records, needsNewline: text.length > 0 && !text.endsWith("\n") };
}

function parseLine(line: string): JournalRecord | undefined {
  try {
    const result = JournalRecordSchema.safeParse(JSON.parse(line));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
