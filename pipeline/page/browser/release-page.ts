/*
 * The release page's script, bundled for the browser by `dcmx page` (esbuild, no CDN). It trusts neither
 * the page nor the gateway: for each token it reads the content hash and tokenURI from the chain, hashes
 * the metadata bytes the gateway serves against the tokenURI's CID, and hashes the master audio the
 * metadata names (WebCrypto) against the on-chain SHA-256.
 */
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { createPublicClient, http } from "viem";
import { tracksAbi } from "../../chain/tracks-abi.js";
import type { PageConfig, Verdict } from "../page-config.js";

// Written by dcmx page from a validated PageConfig (page-config.ts); zod stays out of the bundle.
const config = JSON.parse(document.getElementById("page-config")!.textContent!) as PageConfig;
const chain = createPublicClient({ transport: http(config.rpc, { retryCount: 1 }) });
const gatewayUrl = (uri: string) => `${config.gateway}/ipfs/${uri.replace(/^ipfs:\/\//, "")}`;

async function bytesOf(url: string, accept?: string): Promise<Uint8Array<ArrayBuffer>> {
  const answer = await fetch(url, accept === undefined ? {} : { headers: { accept } });
  if (!answer.ok) throw new Error(`the gateway answered HTTP ${answer.status} for ${url}`);
  return new Uint8Array(await answer.arrayBuffer());
}

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Whether `bytes` are the block `cid` names (a metadata document is one raw block, sha2-256). */
async function blockMatches(cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (cid.multihash.code !== sha256.code) return false;
  return hex((await sha256.digest(bytes)).digest) === hex(cid.multihash.digest);
}

interface Check {
  verdict: Verdict;
  lines: string[];
}

async function check(tokenId: bigint): Promise<Check> {
  const contract = config.contract as `0x${string}`;
  const [onChainHash, tokenURI] = await Promise.all([
    chain.readContract({ address: contract, abi: tracksAbi, functionName: "contentHashOf", args: [tokenId] }),
    chain.readContract({ address: contract, abi: tracksAbi, functionName: "tokenURI", args: [tokenId] }),
  ]);
  const expected = onChainHash.slice(2).toLowerCase();
  const cid = CID.parse(tokenURI.replace(/^ipfs:\/\//, ""));
  const documentBytes = await bytesOf(`${gatewayUrl(cid.toString())}?format=raw`, "application/vnd.ipld.raw");
  const documentOk = await blockMatches(cid, documentBytes);
  const lines = [`Metadata ${documentOk ? "matches" : "does NOT match"} its CID ${short(cid.toString())}`];
  if (!documentOk) return { verdict: "mismatch", lines };
  const metadata = JSON.parse(new TextDecoder().decode(documentBytes)) as {
    properties: { sha256: string; storage: { ipfs: string } };
  };
  const described = metadata.properties.sha256 === expected;
  // The master is what the chain records; animation_url may be a playable preview of it.
  const master = await bytesOf(gatewayUrl(metadata.properties.storage.ipfs));
  const actual = hex(await crypto.subtle.digest("SHA-256", master));
  const audioOk = described && actual === expected;
  lines.push(
    `Audio SHA-256 ${short(actual)} ${audioOk ? "matches" : "does NOT match"} the chain's ${short(expected)}`,
  );
  return { verdict: audioOk ? "match" : "mismatch", lines };
}

const short = (value: string) => `${value.slice(0, 10)}…${value.slice(-6)}`;

async function verify(track: HTMLElement): Promise<void> {
  const status = track.querySelector<HTMLElement>(".verify-status")!;
  const button = track.querySelector<HTMLButtonElement>(".verify")!;
  button.disabled = true;
  track.removeAttribute("data-verified");
  status.textContent = "Checking against the chain…";
  let result: Check;
  try {
    result = await check(BigInt(track.dataset.tokenId!));
  } catch (error) {
    result = { verdict: "error", lines: [`Could not check: ${(error as Error).message.split("\n")[0]}`] };
  }
  status.replaceChildren(
    ...result.lines.map((line) => Object.assign(document.createElement("span"), { textContent: line })),
  );
  track.dataset.verified = result.verdict;
  button.disabled = false;
}

const tracks = [...document.querySelectorAll<HTMLElement>("[data-token-id]")];
for (const track of tracks) {
  track.querySelector(".verify")?.addEventListener("click", () => void verify(track));
}
document.getElementById("verify-all")?.addEventListener("click", () => {
  void Promise.all(tracks.map(verify));
});
