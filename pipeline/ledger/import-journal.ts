import { createReadStream } from "node:fs";
import { rename, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { DcmxError } from "../errors.js";
import { type JournalRecord, JournalRecordSchema } from "./records.js";

/** The old journal cannot be read back: the user must look at it before anything runs. */
export class JournalError extends DcmxError {}

/** Records a transaction of the import holds: big enough that 100k tracks import in seconds. */
const IMPORT_BATCH = 2000;

/**
 * Moves a work directory's JSON-lines journal (DCMX Mint before the ledger) into the ledger, losing
 * nothing: every record is applied in order, in batches, and the file is renamed `journal.jsonl.imported`
 * (kept, never deleted) only after the last batch committed. A crash in between imports it again on the
 * next open, which changes nothing (records are idempotent). A line torn by a crash mid-write can only
 * be the last one and is dropped, as the journal itself did.
 */
export async function importJournal(
  path: string,
  apply: (records: JournalRecord[]) => Promise<void>,
): Promise<number> {
  if (!(await stat(path).catch(() => undefined))?.isFile()) return 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let batch: JournalRecord[] = [];
  let count = 0;
  let lineNumber = 0;
  let invalid: number | undefined;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    if (invalid !== undefined) throw corrupt(path, invalid);
    const record = parseLine(line);
    if (record === undefined) {
      invalid = lineNumber;
      continue;
    }
    batch.push(record);
    count++;
    if (batch.length >= IMPORT_BATCH) {
      await apply(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await apply(batch);
  await rename(path, `${path}.imported`);
  return count;
}

function corrupt(path: string, line: number): JournalError {
  return new JournalError("JOURNAL", `line ${line} is not a valid journal record`, {
    file: path,
    hint: "the journal was edited or the disk is failing; restore it from a backup or move it aside to start over",
  });
}

function parseLine(line: string): JournalRecord | undefined {
  try {
    const result = JournalRecordSchema.safeParse(JSON.parse(line));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
