import { execFile } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { expect } from "chai";
import { type Block, createDirectoryEncoderStream } from "ipfs-car";
import { type Browser, chromium, type Page } from "playwright-core";
import { createIpfsBackends, type IpfsBackends } from "../../pipeline/providers/ipfs/factory.js";
import { type RunReport, RunReportSchema } from "../../pipeline/report/report.js";
import { type HardhatNode, runDcmx, runMintLibrary, startHardhatNode } from "../support/hardhat-node.js";
import { type KuboStandIn, startKuboStandIn } from "../support/ipfs-service/kubo-rpc.js";

const CHROMIUM = "/usr/bin/chromium";
const LIBRARY = resolve("examples/library");
/** Screenshots for people to look at (gitignored). */
const OUTPUT = resolve("test/.out/release-page");

/**
 * A gateway in front of the real one that can turn dishonest: any response whose path names a CID in
 * `tampered` has one byte flipped (same length, same headers), as a gateway or cache serving altered
 * content would.
 */
interface TamperProxy {
  url: string;
  upstream?: string;
  tampered: Set<string>;
  close(): Promise<void>;
}

async function startTamperProxy(): Promise<TamperProxy> {
  const proxy: TamperProxy = { url: "", tampered: new Set(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? "/", proxy.upstream);
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } });
    upstream.on("response", async (answer) => {
      const tamper = [...proxy.tampered].some((cid) => target.pathname.includes(cid));
      if (!tamper) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of answer) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      body[body.length >> 1]! ^= 0xff;
      res.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  };
  return proxy;
}

/** The folder's CID as ipfs-car (@ipld/unixfs, not the importer the pipeline uses) computes it. */
async function ipfsCarFolderCid(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .map((path) => ({
      name: relative(dir, path),
      stream: () => Readable.toWeb(createReadStream(path)),
    }));
  let root: Block | undefined;
  for await (const block of createDirectoryEncoderStream(files as never) as unknown as AsyncIterable<Block>) {
    root = block;
  }
  return root!.cid.toString();
}

async function durationOf(file: string): Promise<number> {
  const { stdout } = await promisify(execFile)("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    file,
  ]);
  return Number(stdout.trim());
}

/** The page's state of each track: its audio element once it has loaded metadata or failed. */
function audioStates(page: Page) {
  return page.$$eval("[data-token-id]", (tracks) =>
    Promise.all(
      tracks.map(async (track) => {
        const audio = track.querySelector("audio")!;
        if (audio.readyState < 1 && audio.error === null) {
          await new Promise((done) => {
            audio.addEventListener("loadedmetadata", done, { once: true });
            audio.addEventListener("error", done, { once: true });
          });
        }
        return {
          tokenId: track.getAttribute("data-token-id")!,
          readyState: audio.readyState,
          duration: audio.duration,
          error: audio.error?.code ?? null,
          src: audio.currentSrc,
        };
      }),
    ),
  );
}

/** Clicks "Verify every track" and waits for each track's verdict: `data-verified` by token id. */
async function verifyAll(page: Page): Promise<Record<string, string | null>> {
  await page.click("#verify-all");
  await page.waitForFunction(
    "document.querySelectorAll('[data-token-id]:not([data-verified])').length === 0",
  );
  return page.$$eval("[data-token-id]", (tracks) =>
    Object.fromEntries(
      tracks.map((t) => [t.getAttribute("data-token-id")!, t.getAttribute("data-verified")]),
    ),
  );
}

/**
 * `dcmx page` for the sample library minted on a `hardhat node`, opened in Debian's headless Chromium from
 * the embedded node's gateway (through a proxy that can tamper with what it serves).
 */
describe("dcmx page: the release page in a real browser (hardhat node, chromium)", function () {
  this.timeout(180_000);
  let node: HardhatNode;
  let dir: string;
  let env: Record<string, string>;
  let report: RunReport;
  let proxy: TamperProxy;
  let ipfs: IpfsBackends;
  let browser: Browser;
  let pageCid: string;
  let output: string;
  let pageDir: string;
  let kubo: KuboStandIn;

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    dir = await mkdtemp(join(tmpdir(), "dcmx-page-"));
    node = await startHardhatNode();
    env = {
      DCMX_LIBRARY: LIBRARY,
      DCMX_WORKDIR: join(dir, "work"),
      LOCALHOST_RPC_URL: node.url,
      IPFS_GATEWAY_PORT: "0",
    };
    const minted = await runMintLibrary(env);
    expect(minted.code, minted.output).to.equal(0);
    report = RunReportSchema.parse(JSON.parse(await readFile(join(dir, "work", "report.json"), "utf8")));
    proxy = await startTamperProxy();
    pageDir = join(dir, "page");
    // A remote backend for the page only (the tracks were minted without it): the folder is pushed there
    // too, and read back through its gateway once a short invisible window has passed.
    kubo = await startKuboStandIn({ invisibleMs: 300 });
    const built = await runDcmx(["page", "--out", pageDir, "--gateway", proxy.url], {
      ...env,
      KUBO_RPC_URL: kubo.url,
      KUBO_GATEWAY_URL: kubo.gatewayUrl,
    });
    expect(built.code, built.output).to.equal(0);
    output = built.output;
    pageCid = /^CID: (\S+)$/m.exec(output)![1]!;
    // The gateway `dcmx serve` runs, started in this process over the same work directory.
    ipfs = await createIpfsBackends(env, { workDir: env.DCMX_WORKDIR! });
    await ipfs.node.warmGateway();
    proxy.upstream = ipfs.gateway;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    await mkdir(OUTPUT, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await ipfs?.close();
    await proxy?.close();
    await kubo?.close();
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    await page.goto(`${proxy.url}/ipfs/${pageCid}/`);
    await page.waitForSelector("[data-token-id]");
    return page;
  }

  it("prints the CID of the folder it pinned, the one ipfs-car computes for the same files", async () => {
    expect(output).to.include(`Release page: ${pageDir} (5 tracks`);
    expect(pageCid).to.equal(await ipfsCarFolderCid(pageDir));
    expect(await ipfs.node.isPinned(pageCid)).to.equal(true);
  });

  it("pins the folder on the remote backend too (contract test, stand-in): its gateway serves the page by path", async () => {
    expect(output).to.match(/^Pinned on: ipfs, kubo$/m);
    expect(kubo.store.held(pageCid), "the stand-in holds the root it computed itself").to.not.equal(
      undefined,
    );
    expect(kubo.store.hiddenReads, "the read-back waited out the invisible window").to.be.greaterThan(0);
    for (const file of ["index.html", "app.js", "style.css"]) {
      const served = await fetch(`${kubo.gatewayUrl}/ipfs/${pageCid}/${file}`);
      expect(
        Buffer.from(await served.arrayBuffer()).equals(await readFile(join(pageDir, file))),
        file,
      ).to.equal(true);
    }
    expect(output).to.include(`Open: ${proxy.url}/ipfs/${pageCid}/`);
  });

  it("plays every track from the gateway: metadata loaded, duration of the file ±0.2 s", async () => {
    const page = await open();
    const states = await audioStates(page);
    expect(states.map((s) => s.tokenId).sort()).to.deep.equal(report.tracks.map((t) => t.tokenId).sort());
    for (const state of states) {
      const track = report.tracks.find((t) => t.tokenId === state.tokenId)!;
      const expected = await durationOf(join(LIBRARY, track.file));
      expect(state, `${track.file}: ${JSON.stringify(state)}`).to.include({ error: null });
      expect(state.readyState, track.file).to.be.at.least(1);
      expect(state.duration, track.file).to.be.closeTo(expected, 0.2);
    }
    await page.close();
  });

  it("Verify shows match for every token, checked in the browser against the chain", async () => {
    const page = await open();
    const all = await verifyAll(page);
    expect(Object.values(all)).to.have.length(5);
    expect(all).to.deep.equal(Object.fromEntries(report.tracks.map((t) => [t.tokenId!, "match"])));
    await page.screenshot({ path: join(OUTPUT, "desktop.png"), fullPage: true });
    await page.close();
    const phone = await open({ width: 390, height: 844 });
    await phone.screenshot({ path: join(OUTPUT, "phone.png"), fullPage: true });
    // The page fits the phone: nothing is wider than its viewport.
    expect(await phone.evaluate("document.documentElement.scrollWidth")).to.be.at.most(390);
    await phone.close();
  });

  it("shows mismatch when the gateway serves tampered audio or metadata, and match for the rest", async () => {
    const [audioToken, metadataToken] = report.tracks;
    const sorted = report.tracks.map((t) => t.tokenId!);
    proxy.tampered.add(audioToken!.cid);
    proxy.tampered.add(metadataToken!.metadataCid!);
    try {
      const page = await open();
      const all = await verifyAll(page);
      expect(all[audioToken!.tokenId!]).to.equal("mismatch");
      expect(all[metadataToken!.tokenId!]).to.equal("mismatch");
      const rest = sorted.filter((id) => id !== audioToken!.tokenId && id !== metadataToken!.tokenId);
      for (const id of rest) expect(all[id], `token ${id}`).to.equal("match");
      const audioStatus = await page.textContent(`[data-token-id="${audioToken!.tokenId}"] .verify-status`);
      expect(audioStatus).to.match(/Audio SHA-256 .* does NOT match the chain's/);
      const metadataStatus = await page.textContent(
        `[data-token-id="${metadataToken!.tokenId}"] .verify-status`,
      );
      expect(metadataStatus).to.match(/Metadata does NOT match its CID/);
      await page.screenshot({ path: join(OUTPUT, "tampered.png"), fullPage: true });
      await page.close();
    } finally {
      proxy.tampered.clear();
    }
  });
});
