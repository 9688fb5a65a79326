import http from "node:http";
import type { AddressInfo } from "node:net";
import * as Signer from "@storacha/client/principal/ed25519";
import { cleanupContext, createContext } from "@storacha/upload-api/test/context";
import { delegate, Message } from "@ucanto/core";
import * as UcantoCar from "@ucanto/transport/car";
import { base64 } from "multiformats/bases/base64";
import { CID } from "multiformats/cid";
import { identity } from "multiformats/hashes/identity";

export interface StorachaServiceOptions {
  /** `upload/get` answers with this root instead of the stored one (a lying service). */
  lieRoot?: string;
  /** Answer the first N service requests with HTTP 503 (a flaky service). */
  failFirst?: number;
  /** Answer the first N receipt requests with 404, as the service does until the receipt is written. */
  receiptLateFirst?: number;
}

export interface StorachaService {
  /** The service endpoint (POST UCAN invocations); receipts are under `<url>/receipt/`. */
  url: string;
  did: string;
  /** How many invocation requests reached the service, failed ones included. */
  requests(): number;
  /** How many receipt requests (GET /receipt/…) the client made, 404s included. */
  receiptRequests(): number;
  /** Whether the service's upload table holds `root` in `space`. */
  hasUpload(space: string, root: string): Promise<boolean>;
  /** A fresh space, provisioned with the service, delegated to a fresh agent: W3UP_KEY and W3UP_PROOF. */
  credentials(options?: {
    expiration?: number;
  }): Promise<{ key: string; proof: string; space: string; agent: string }>;
  close(): Promise<void>;
}

/** `w3 delegation create --base64` format: a CIDv1 with the CAR codec and the archive inlined as identity hash. */
async function encodeProof(archive: Uint8Array): Promise<string> {
  return CID.createV1(UcantoCar.codec.code, identity.digest(archive)).toString(base64);
}

/**
 * The real Storacha upload service (`@storacha/upload-api`, all of it in memory, storage nodes on their
 * own loopback ports) behind `node:http` on 127.0.0.1, with the receipts endpoint the client polls.
 * Its internal delegations expire after about 30 s, so start one per test.
 */
export async function startStorachaService(options: StorachaServiceOptions = {}): Promise<StorachaService> {
  const context = await createContext({ http, requirePaymentPlan: false });
  if (options.lieRoot !== undefined) {
    const get = context.uploadTable.get.bind(context.uploadTable);
    const lie = CID.parse(options.lieRoot);
    context.uploadTable.get = async (space, root) => {
      const found = await get(space, root);
      return found.ok ? { ok: { ...found.ok, root: lie as never } } : found;
    };
  }
  let requests = 0;
  let receiptRequests = 0;
  const server = http.createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (req.method === "GET" && path.startsWith("/receipt/")) {
        receiptRequests++;
        if (receiptRequests <= (options.receiptLateFirst ?? 0)) return res.writeHead(404).end();
        const receipt = await context.agentStore.receipts.get(CID.parse(path.slice(9)) as never);
        if (receipt.error) return res.writeHead(404).end();
        const message = await Message.build({ receipts: [receipt.ok] });
        return res.writeHead(200).end(UcantoCar.request.encode(message).body);
      }
      if (req.method !== "POST") return res.writeHead(405).end();
      requests++;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (requests <= (options.failFirst ?? 0)) return res.writeHead(503).end();
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const answer = await context.connection.channel.request({ headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status ?? 200, answer.headers).end(answer.body);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  // The client reuses connections for longer than Node's 5 s default; a server-side close mid-request fails it.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    did: context.id.did(),
    requests: () => requests,
    receiptRequests: () => receiptRequests,
    async hasUpload(space, root) {
      const found = await context.uploadTable.exists(space as never, CID.parse(root) as never);
      return found.ok === true;
    },
    async credentials({ expiration = Infinity } = {}) {
      const agent = await Signer.generate();
      const space = await Signer.generate();
      const delegation = await delegate({
        issuer: space,
        audience: agent,
        capabilities: [{ with: space.did(), can: "*" }],
        expiration,
      });
      const archive = await delegation.archive();
      if (archive.error) throw archive.error;
      const provisioned = await context.provisionsStorage.put({
        provider: context.id.did() as never,
        customer: "did:mailto:example.com:artist",
        consumer: space.did(),
        cause: delegation as never,
      });
      if (provisioned.error) throw new Error(provisioned.error.message);
      return {
        key: Signer.format(agent),
        proof: await encodeProof(archive.ok),
        space: space.did(),
        agent: agent.did(),
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cleanupContext(context);
    },
  };
}
