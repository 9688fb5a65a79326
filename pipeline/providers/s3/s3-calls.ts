import type { S3Client } from "@aws-sdk/client-s3";

/**
 * What the provider's object I/O, uploads and bucket setup share to talk to one bucket: its client and
 * the one retry policy every request runs under (so a typed error and its retries are the same wherever
 * a request is sent from).
 */
export interface S3Calls {
  /** The provider's name, for errors. */
  readonly name: string;
  readonly bucket: string;
  readonly client: S3Client;
  /** Runs one S3 operation under the retry policy, with every failure mapped to our typed errors. */
  attempt<T>(operation: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T>;
  /** Marks a failure whose retries are used up (a part's): an `attempt` around it does not retry it again. */
  retried(error: object): void;
}

export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
