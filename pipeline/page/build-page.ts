import { createWriteStream, existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { metadataRecord } from "../audit/metadata-source.js";
import { addressFile } from "../content/index.js";
import type { CidProfile } from "../content/types.js";
import { InputError, IntegrityError, ProviderError } from "../errors.js";
import { checkImage, DEFAULT_ARTWORK_LIMITS } from "../metadata/image-check.js";
import type { StorageProvider } from "../providers/types.js";
import type { PageConfig } from "./page-config.js";
import type { Release } from "./release.js";
import { renderPage } from "./render.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const SCRIPT_ENTRY = here("./browser/release-page.ts");
const STYLESHEET = here("./assets/style.css");

/** The files a page build writes at the top of its folder: an existing folder holding them is ours to replace. */
const PAGE_FILES = ["index.html", "app.js", "style.css"];

/**
 * A folder that is empty, missing, or a previous page build (which is replaced whole: a stale file would
 * be pinned with the page); anything else is the user's and is refused.
 */
async function prepareOutDir(outDir: string): Promise<void> {
  if (existsSync(outDir)) {
    const names = await readdir(outDir);
    if (names.length > 0 && !PAGE_FILES.every((name) => names.includes(name))) {
      throw new InputError("PAGE_OUT", "the folder is not empty and does not hold a release page", {
        file: outDir,
        field: "--out",
        hint: "pass a new or empty folder; a folder from an earlier dcmx page is replaced",
      });
    }
    await rm(outDir, { recursive: true });
  }
  await mkdir(join(outDir, "art"), { recursive: true });
}

/** The page's script with viem and multiformats in it: the page fetches nothing but the chain and the gateway. */
async function bundleScript(outFile: string): Promise<void> {
  await build({
    entryPoints: [SCRIPT_ENTRY],
    outfile: outFile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
}

/**
 * Copies an image from the first IPFS provider that holds it into the page's folder, checked against its
 * CID, and returns its path relative to the page.
 */
async function copyImage(uri: string, outDir: string, ipfs: StorageProvider[], profile: CidProfile) {
  const cid = uri.slice("ipfs://".length);
  const holder = await findHolder(ipfs, cid);
  const path = join(outDir, "art", cid);
  await pipeline(await holder.get(metadataRecord(holder, cid)), createWriteStream(path));
  const got = await addressFile(path, { profile });
  if (got.cid !== cid) {
    throw new IntegrityError("ARTWORK", `${holder.name} served an image whose CID is ${got.cid}`, {
      file: uri,
      field: "image",
      hint: "run dcmx verify --repair to restore the image from a verified copy",
    });
  }
  const { extension } = await checkImage({ path }, uri, "the cover", DEFAULT_ARTWORK_LIMITS);
  await rename(path, `${path}${extension}`);
  return `./art/${cid}${extension}`;
}

async function findHolder(ipfs: StorageProvider[], cid: string): Promise<StorageProvider> {
  for (const provider of ipfs) {
    if (await provider.has(metadataRecord(provider, cid)).catch(() => false)) return provider;
  }
  throw new ProviderError("NOT_FOUND", `no IPFS provider holds ${cid}`, {
    provider: ipfs.map((p) => p.name).join(", "),
    field: "image",
    hint: "run dcmx verify --repair to restore the release's images",
  });
}

/**
 * Writes the release page into `outDir`: index.html, style.css, app.js (the Verify script, bundled) and
 * the release's images under art/. Every link between them is relative.
 */
export async function writeReleasePage(options: {
  release: Release;
  config: PageConfig;
  outDir: string;
  ipfs: StorageProvider[];
  profile: CidProfile;
}): Promise<void> {
  const { release, config, outDir } = options;
  await prepareOutDir(outDir);
  const uris = new Set(
    [release.cover, ...release.tracks.map((t) => t.metadata.image)].filter((u) => u !== undefined),
  );
  const art = new Map<string, string>();
  for (const uri of uris) art.set(uri, await copyImage(uri, outDir, options.ipfs, options.profile));
  await bundleScript(join(outDir, "app.js"));
  await copyFile(STYLESHEET, join(outDir, "style.css"));
  await writeFile(
    join(outDir, "index.html"),
    renderPage(release, config, (uri) => (uri === undefined ? undefined : art.get(uri))),
  );
}
