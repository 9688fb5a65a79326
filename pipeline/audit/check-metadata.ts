import { verifyCid } from "../content/index.js";
import { describeError, IntegrityError } from "../errors.js";
import { type TrackMetadata, TrackMetadataSchema } from "../metadata/track-metadata.js";
import type { Check } from "./audit-report.js";
import { classify } from "./classify.js";
import type { MetadataSource } from "./metadata-source.js";
import type { OnChainToken } from "./read-collection.js";

export interface MetadataCheck {
  check: Check;
  /**
   * The verified document, when one was found, parses and describes the audio the chain recorded: its
   * storage locations drive the audio checks (a document about another track would only blame the providers).
   */
  metadata?: TrackMetadata;
}

/**
 * Fetches the token's metadata from the first source that holds it, checks its bytes against the CID in
 * `tokenURI` (multiformats, so a lying source is caught), parses it, and checks that it describes the
 * audio the chain recorded. Sources are tried in order; the verdict is that of the best answer.
 */
export async function checkMetadata(
  token: OnChainToken,
  sources: MetadataSource[],
  signal?: AbortSignal,
): Promise<MetadataCheck> {
  const cid = token.tokenURI.startsWith("ipfs://") ? token.tokenURI.slice("ipfs://".length) : undefined;
  if (cid === undefined || cid === "" || cid.includes("/")) {
    const detail = `tokenURI "${token.tokenURI}" is not ipfs://<cid>`;
    return { check: { target: "metadata", locator: null, status: "corrupt", detail } };
  }
  const { bytes, check: best } = await fetchVerified(cid, sources, signal);
  if (bytes === undefined) return { check: best };
  let metadata: TrackMetadata;
  try {
    metadata = parseMetadata(bytes, cid);
  } catch (error) {
    return { check: { ...best, status: "corrupt", detail: describeError(error) } };
  }
  if (metadata.properties.sha256 !== token.contentHash) {
    const detail = `describes audio ${metadata.properties.sha256} ("${metadata.name}") but the chain records ${token.contentHash}`;
    return { check: { ...best, status: "corrupt", detail } };
  }
  return { check: best, metadata };
}

/**
 * The bytes of `cid` from the first source that holds them and whose bytes match the CID (checked with
 * multiformats, so a lying source is caught), with the verdict over every source asked.
 */
export async function fetchVerified(
  cid: string,
  sources: MetadataSource[],
  signal?: AbortSignal,
): Promise<{ bytes?: Uint8Array; check: Check }> {
  let bytes: Uint8Array | undefined;
  const answers: Check[] = [];
  for (const source of sources) {
    const answer = await classify("metadata", cid, async () => {
      const fetched = await source.fetch(cid, signal);
      if (fetched === undefined) return { status: "missing", detail: `${source.name} does not hold it` };
      await verifyCid(cid, fetched, { file: `${source.name}:${cid}` });
      bytes = fetched;
      return { status: "ok", detail: `from ${source.name}` };
    });
    answers.push(answer);
    if (answer.status === "ok") break;
  }
  return { bytes, check: pickAnswer(answers, cid) };
}

function parseMetadata(bytes: Uint8Array, cid: string): TrackMetadata {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (cause) {
    throw new IntegrityError("METADATA_JSON", "is not JSON", { file: cid, cause });
  }
  const parsed = TrackMetadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new IntegrityError("METADATA_SHAPE", issue.message, {
      file: cid,
      field: issue.path.join(".") || "(document)",
      hint: "the document is not DCMX track metadata",
    });
  }
  return parsed.data;
}

/** A source with the document wins; otherwise corrupt beats unreachable beats missing (the most telling). */
function pickAnswer(answers: Check[], cid: string): Check {
  for (const status of ["ok", "corrupt", "unreachable", "missing"] as const) {
    const found = answers.filter((a) => a.status === status);
    if (found.length > 0) return { ...found[0]!, detail: found.map((a) => a.detail).join("; ") || null };
  }
  return { target: "metadata", locator: cid, status: "unreachable", detail: "no IPFS source is configured" };
}
