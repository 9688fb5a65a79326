import type { PutRequest, StoredObject } from "../types.js";

/** The record of `request` on an IPFS backend, where the locator is the CID itself. */
export function storedObject(provider: string, request: PutRequest, reused: boolean): StoredObject {
  const { address } = request;
  return {
    provider,
    kind: request.kind,
    locator: address.cid,
    sha256: address.sha256,
    cid: address.cid,
    size: address.size,
    reused,
  };
}
