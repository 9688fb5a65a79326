import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";

export interface CarFormRequest {
  /** The CAR, read from the blockstore as it is sent. */
  car: AsyncIterable<Uint8Array>;
  /** The part's file name (Lighthouse refuses names that do not end in `.car`). */
  filename: string;
  /** The part's media type (default `application/octet-stream`, as Kubo's own client sends it). */
  contentType?: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Told of the CAR's bytes as they go out, for progress. */
  onSent?: (bytes: number) => void;
}

/**
 * POSTs a CAR as the single `file` part of a multipart form, the shape of Kubo's `dag/import`, of the
 * services modelled on it (Filebase's RPC, Lighthouse) and of IPFS Cluster's `/add`. The body is produced while the CAR is read, so a
 * large file never sits in memory; its length is unknown beforehand, so it goes out chunked.
 */
export function postCarForm(url: string, request: CarFormRequest): Promise<Response> {
  const boundary = `dcmx-${randomUUID()}`;
  const body = Readable.toWeb(Readable.from(formParts(boundary, request))) as ReadableStream<Uint8Array>;
  return fetch(url, {
    method: "POST",
    headers: { ...request.headers, "content-type": `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: "half",
    signal: request.signal,
  } as RequestInit);
}

async function* formParts(boundary: string, request: CarFormRequest): AsyncGenerator<Uint8Array> {
  const text = new TextEncoder();
  yield text.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${request.filename}"\r\n` +
      `Content-Type: ${request.contentType ?? "application/octet-stream"}\r\n\r\n`,
  );
  for await (const chunk of request.car) {
    request.onSent?.(chunk.length);
    yield chunk;
  }
  yield text.encode(`\r\n--${boundary}--\r\n`);
}

/** An error answer's text, cut short: a proxy's error page can be long, the message is at its start. */
export async function errorText(response: Response, limit = 4096): Promise<string> {
  const text = await response.text().catch(() => "");
  return text.slice(0, limit);
}
