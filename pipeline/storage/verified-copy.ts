import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { verifyCid } from "../content/index.js";
import type { ContentAddress } from "../content/types.js";
import { AbortedError, describeError, IntegrityError, ProviderError } from "../errors.js";
import type { ByteSource, StorageProvider, StoredObject } from "../providers/types.js";

/** Where downloaded copies wait for their upload; each is removed once sent. */
export const scratchDir = (workDir: string) => join(workDir, "scratch");

/**
 * Empties the scratch folder of copies a killed run left behind. Only for the holder of the work
 * directory's journal lock, which no other process can share.
 */
export const clearScratch = (workDir: string) => rm(scratchDir(workDir), { recursive: true, force: true });

/** The label of a copy read from the local disk (library file, artwork, metadata document). */
export const LOCAL_SOURCE = "local";

/** What the copy must be: its CID always; its SHA-256 and size when recorded (a metadata CID implies both). */
export interface WantedObject {
  cid: string;
  sha256?: string;
  size?: number;
}

/** A provider that may hold the object, with its record of it there (the locator is the provider's own). */
export interface CopyCandidate {
  provider: StorageProvider;
  object: StoredObject;
}

/** Bytes proven to be the wanted object, ready to put anywhere; `release` removes a downloaded copy. */
export interface VerifiedCopy {
  source: ByteSource;
  /** LOCAL_SOURCE or the provider it was read from. */
  from: string;
  /** Size, SHA-256 and CID of the copy, recomputed from its bytes. */
  address: ContentAddress;
  release(): Promise<void>;
}

type Answer = { from: string; status: "missing" | "corrupt" | "unreachable"; detail: string };

/**
 * The one place `dcmx migrate` and `dcmx verify --repair` find bytes they may send: the local file when
 * it still hashes to the wanted object, else each candidate in order, streamed to a scratch file and
 * hashed there. Nothing unverified leaves this function. When no copy verifies, the error says what each
 * source answered: a `ProviderError` (retryable, a later run may succeed) when one could not be asked,
 * otherwise an `IntegrityError` (every source lacks the object or serves other bytes).
 */
export async function findVerifiedCopy(options: {
  want: WantedObject;
  localPath?: string;
  candidates: CopyCandidate[];
  /** Where downloaded copies are written (the work directory's scratch folder). */
  scratchDir: string;
  /** Names the object in errors. */
  label: string;
  signal?: AbortSignal;
}): Promise<VerifiedCopy> {
  const { want, signal } = options;
  const answers: Answer[] = [];
  if (options.localPath !== undefined) {
    const path = options.localPath;
    // Asked first, because the content reader turns a missing file into an error that reads like damage.
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (!exists) answers.push({ from: LOCAL_SOURCE, status: "missing", detail: `${path} is gone` });
    else {
      try {
        const address = await checked(want, { path }, path);
        return { source: { path }, from: LOCAL_SOURCE, address, release: async () => {} };
      } catch (error) {
        if (signal?.aborted) throw new AbortedError();
        answers.push({ from: LOCAL_SOURCE, status: "corrupt", detail: describeError(error) });
      }
    }
  }
  await mkdir(options.scratchDir, { recursive: true });
  for (const { provider, object } of options.candidates) {
    const path = join(options.scratchDir, `${object.sha256 || object.cid}-${randomUUID()}`);
    const release = () => rm(path, { force: true });
    try {
      if (!(await provider.has(object))) {
        answers.push({ from: provider.name, status: "missing", detail: `${provider.name} does not hold it` });
        continue;
      }
      await pipeline(await provider.get(object, signal), createWriteStream(path), signal ? { signal } : {});
      const address = await checked(want, { path }, `${provider.name}:${object.locator}`);
      return { source: { path }, from: provider.name, address, release };
    } catch (error) {
      await release();
      if (signal?.aborted) throw new AbortedError();
      answers.push({
        from: provider.name,
        status: error instanceof IntegrityError ? "corrupt" : "unreachable",
        detail: describeError(error),
      });
    }
  }
  throw noCopy(options.label, want, answers);
}

/** The bytes' address when their CID, SHA-256 and size are the wanted ones; IntegrityError otherwise. */
async function checked(want: WantedObject, source: { path: string }, file: string): Promise<ContentAddress> {
  const address = await verifyCid(want.cid, source, { file });
  if (
    (want.size !== undefined && address.size !== want.size) ||
    (want.sha256 !== undefined && address.sha256 !== want.sha256)
  ) {
    throw new IntegrityError(
      "CONTENT_MISMATCH",
      `${address.size} bytes with SHA-256 ${address.sha256}; recorded ${want.size ?? "?"} bytes with ${want.sha256 ?? "?"}`,
      { file, field: "sha256", hint: "this copy is not the recorded one and is not used" },
    );
  }
  return address;
}

function noCopy(label: string, want: WantedObject, answers: Answer[]): Error {
  const message = `no verified copy of ${want.cid}: ${
    answers.map((a) => `${a.from} ${a.status} (${a.detail})`).join("; ") || "no source holds it"
  }`;
  const down = answers.filter((a) => a.status === "unreachable").map((a) => a.from);
  if (down.length > 0) {
    return new ProviderError("NO_COPY", message, {
      provider: down.join(", "),
      file: label,
      retryable: true,
      hint: "run again once the provider answers, or name another with --from",
    });
  }
  return new IntegrityError("NO_COPY", message, {
    file: label,
    hint: "restore the file locally (same bytes) or configure a provider that still holds it, then run again",
  });
}
