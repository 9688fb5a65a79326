import type { LimitFunction } from "p-limit";
import { AbortedError, describeError } from "../errors.js";
import type { PutRequest, StorageProvider, StoredObject } from "../providers/types.js";
import type { RoleProvider } from "../storage/storage-set.js";

/** A provider an object is sent to, with the role it plays (`storage/routing.ts`). */
export type StoreTarget = RoleProvider;

export interface StoreOutcome {
  targets: StoreTarget[];
  stored: StoredObject[];
  /** Providers that failed, with the reason; the caller decides whether the track can go on without them. */
  failures: Array<{ target: StoreTarget; reason: string; error: unknown }>;
  /** Bytes actually sent (objects already present cost nothing). */
  uploadedBytes: number;
}

/** Puts in progress per provider, by object: see `putOnce`. */
const inFlight = new WeakMap<StorageProvider, Map<string, Promise<StoredObject>>>();

/**
 * One put per object and provider at a time: tracks that share an object (an album's cover) and reach it
 * together wait for the put already under way instead of sending the same bytes again, and count it as
 * reused. Objects are content-addressed, so the same kind and SHA-256 is the same object.
 */
function putOnce(
  provider: StorageProvider,
  request: PutRequest,
  uploadLimit: LimitFunction,
): Promise<StoredObject> {
  const puts = inFlight.get(provider) ?? new Map<string, Promise<StoredObject>>();
  inFlight.set(provider, puts);
  const key = `${request.kind}:${request.address.sha256}`;
  const running = puts.get(key);
  if (running !== undefined) return running.then((object) => ({ ...object, reused: true }));
  const put = uploadLimit(() => provider.put(request)).finally(() => puts.delete(key));
  puts.set(key, put);
  return put;
}

/**
 * The copy of the object the ledger records on `target`, when it is still there: nothing is sent again.
 * A copy on this machine is confirmed by asking the provider, which is a local lookup: a ledger that
 * workers share records each worker's embedded node under the same name, and a repo deleted or moved
 * (IPFS_REPO) takes its copies with it.
 */
async function heldAlready(
  target: StoreTarget,
  request: PutRequest,
  existing: StoredObject[],
): Promise<StoredObject | undefined> {
  const recorded = existing.find(
    (o) =>
      o.provider === target.provider.name && o.kind === request.kind && o.sha256 === request.address.sha256,
  );
  if (recorded === undefined || !target.onThisMachine) return recorded;
  return (await target.provider.has(recorded)) ? recorded : undefined;
}

export interface StoreStep {
  targets: StoreTarget[];
  request: PutRequest;
  /** What the ledger says the providers already hold: those puts are skipped. */
  existing: StoredObject[];
  uploadLimit: LimitFunction;
  /**
   * Told each copy as soon as a provider holds it, before the others finish, so the runner records it at
   * once: a crash after one provider never repeats that upload.
   */
  onStored: (object: StoredObject) => Promise<void>;
}

/**
 * Puts one object on every target that does not hold it yet, each put under the shared upload limit.
 * Failures are collected rather than thrown, so the S3 primary still counts when the IPFS backup is down.
 */
export async function storeObject(step: StoreStep): Promise<StoreOutcome> {
  const { targets, request, existing, uploadLimit } = step;
  const outcome: StoreOutcome = { targets, stored: [], failures: [], uploadedBytes: 0 };
  await Promise.all(
    targets.map(async (target) => {
      try {
        const done = await heldAlready(target, request, existing);
        if (done !== undefined) {
          outcome.stored.push({ ...done, reused: true });
          return;
        }
        const object = await putOnce(target.provider, request, uploadLimit);
        await step.onStored(object);
        outcome.stored.push(object);
        if (!object.reused) outcome.uploadedBytes += object.size;
      } catch (error) {
        outcome.failures.push({ target, reason: describeError(error), error });
      }
    }),
  );
  // Failures caused by cancelling are not the provider's: the track is interrupted, not pending.
  if (request.signal?.aborted) throw new AbortedError();
  return outcome;
}
