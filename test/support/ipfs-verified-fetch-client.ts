/**
 * A second process that reads from a trustless gateway the way an independent client would: the file and
 * a byte range through @helia/verified-fetch (which fetches `?format=raw` blocks and checks every hash),
 * and the gateway's `?format=car` with each block checked against its CID. Prints one JSON line.
 *
 * Usage: tsx test/support/ipfs-verified-fetch-client.ts <gateway-url> <cid> <range-start> <range-end>
 */
import { createHash } from "node:crypto";
import { withHTTP } from "@helia/http";
import { createVerifiedFetchWithHelia } from "@helia/verified-fetch";
import { CarBlockIterator } from "@ipld/car";
import { createHeliaLight } from "helia";
import { CID } from "multiformats/cid";
import { assertBlockMatches } from "../../pipeline/providers/ipfs/guard.js";
import { localOnlyRouter } from "../../pipeline/providers/ipfs/local-only-router.js";

const [gateway, cidText, start, end] = process.argv.slice(2) as [string, string, string, string];
const helia = await withHTTP(createHeliaLight({ routers: [localOnlyRouter] }), {
  delegatedRouters: [],
  recursiveGateways: [gateway],
  allowInsecure: true,
  allowLocal: true,
}).start();
const verifiedFetch = await createVerifiedFetchWithHelia(helia);

const whole = await verifiedFetch(`ipfs://${cidText}`);
const bytes = new Uint8Array(await whole.arrayBuffer());
const ranged = await verifiedFetch(`ipfs://${cidText}`, { headers: { range: `bytes=${start}-${end}` } });
const rangeBytes = new Uint8Array(await ranged.arrayBuffer());

const car = await fetch(`${gateway}/ipfs/${cidText}?format=car`);
const blocks = await CarBlockIterator.fromIterable(car.body!);
const roots = (await blocks.getRoots()).map(String);
let carBlocks = 0;
for await (const block of blocks) {
  await assertBlockMatches("gateway", CID.asCID(block.cid)!, block.bytes);
  carBlocks++;
}

console.log(
  JSON.stringify({
    status: whole.status,
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    rangeStatus: ranged.status,
    rangeSha256: createHash("sha256").update(rangeBytes).digest("hex"),
    carType: car.headers.get("content-type"),
    roots,
    carBlocks,
  }),
);
await verifiedFetch.stop();
await helia.stop();
