import { createHash } from "node:crypto";
import { getEventListeners, once } from "node:events";
import type { Readable } from "node:stream";
import type { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { DEFAULT_CID_PROFILE } from "../../pipeline/content/types.js";
import { IntegrityError } from "../../pipeline/errors.js";
import type { S3Calls } from "../../pipeline/providers/s3/s3-calls.js";
import { uploadObject } from "../../pipeline/providers/s3/upload.js";
import type { PutRequest } from "../../pipeline/providers/types.js";

const bytes = Buffer.from("a track's bytes");
const sha256 = createHash("sha256").update(bytes).digest("hex");

/** What the fake client does with a request: its body and the signal the upload gave it. */
type Send = (body: Readable, signal: AbortSignal) => Promise<object>;

function calls(send: Send): S3Calls {
  const client = {
    send: (command: PutObjectCommand, options: { abortSignal: AbortSignal }) =>
      send(command.input.Body as Readable, options.abortSignal),
  } as unknown as S3Client;
  return { name: "fake", bucket: "b", client, attempt: (_op, _signal, run) => run(), retried: () => {} };
}

function put(signal: AbortSignal, content = sha256): PutRequest {
  return {
    kind: "audio",
    source: { bytes },
    address: { size: bytes.length, sha256: content, cid: "bafy", profile: DEFAULT_CID_PROFILE },
    mimeType: "audio/wav",
    extension: ".wav",
    signal,
  };
}

/** Resolves when the request is aborted, with the reason it was given. */
const aborted = async (signal: AbortSignal) => {
  await once(signal, "abort");
  return signal.reason;
};

describe("S3 upload", () => {
  it("lets the caller's signal abort a request while it runs, and takes its listener off after", async () => {
    const run = new AbortController();
    let listening = 0;
    await uploadObject(
      calls(async (body) => {
        listening = getEventListeners(run.signal, "abort").length;
        await body.toArray();
        return { ETag: '"e"' };
      }),
      "k",
      put(run.signal),
      1024,
    );
    expect(listening).to.equal(1);
    expect(getEventListeners(run.signal, "abort")).to.have.length(0);

    const reason = new Error("stopped");
    let requestReason: unknown;
    const upload = uploadObject(
      calls(async (_body, signal) => {
        requestReason = await aborted(signal);
        throw new Error("request aborted");
      }),
      "k",
      put(run.signal),
      1024,
    );
    run.abort(reason);
    expect(await upload.catch((error: Error) => error.message)).to.equal("request aborted");
    expect(requestReason).to.equal(reason);
  });

  it("aborts the request when its body fails, and throws the body's error", async () => {
    const upload = uploadObject(
      calls(async (body, signal) => {
        body.resume().on("error", () => {});
        await aborted(signal);
        throw new Error("request aborted");
      }),
      "k",
      put(new AbortController().signal, "0".repeat(64)),
      1024,
    );
    expect(await upload.catch((error: unknown) => error)).to.be.instanceOf(IntegrityError);
  });
});
