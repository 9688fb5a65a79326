import { resolve } from "node:path";
import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { ConfigError, InputError } from "../../pipeline/errors.js";
import { openLedger } from "../../pipeline/ledger/ledger.js";
import { writeReleasePage } from "../../pipeline/page/build-page.js";
import { type PageConfig, PageConfigSchema } from "../../pipeline/page/page-config.js";
import { readRelease } from "../../pipeline/page/release.js";
import { createIpfsBackends } from "../../pipeline/providers/ipfs/factory.js";
import { pinFolder } from "../../pipeline/storage/pin-folder.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions } from "./options.js";

const usage = `Usage: dcmx page [--out DIR] [--gateway URL] [--rpc URL] [--contract 0x…] [--workdir W]

Builds the release page of a minted collection: a static folder (index.html, style.css, app.js, art/)
with the release's artwork, credits and track list, every track playing from an IPFS gateway, and a
Verify control per track that hashes the audio in the listener's browser and compares it with the
content hash on chain (and the metadata with the CID its token names). Its links are relative, so the
folder is pinned to the configured IPFS backends as it is; the command prints its CID.

Options:
  --out DIR         output folder (default <workdir>/page; an earlier page there is replaced)
  --gateway URL     gateway the page plays and verifies from (default IPFS_GATEWAY_URL, else the local
                    gateway of dcmx serve, http://127.0.0.1:<IPFS_GATEWAY_PORT>)
${COLLECTION_OPTIONS_HELP}
                    (the page reads the chain through the same RPC URL)`;

export const pageCommand: Command = {
  name: "page",
  summary: "build the release page (play + verify against the chain), pin it to IPFS and print its CID",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("page", args, {
      out: { type: "string" },
      gateway: { type: "string" },
      ...collectionOptions,
    });
    const target = await collectionFrom(values);
    const { workDir, cidProfile } = target.config;
    const ipfs = await createIpfsBackends(loadDotEnv(), { workDir });
    try {
      const ledger = await openLedger(target.config);
      const release = await readRelease({ target, records: ledger, ipfs: ipfs.providers }).finally(() =>
        ledger.close(),
      );
      const outDir = resolve(values.out ?? `${workDir}/page`);
      const gateway = values.gateway ?? ipfs.config.gatewayUrl ?? localGateway(ipfs.config.gatewayPort);
      const config = pageConfig({
        rpc: target.rpc,
        gateway: gateway.replace(/\/+$/, ""),
        contract: target.contract,
        chainId: release.chainId,
      });
      await writeReleasePage({ release, config, outDir, ipfs: ipfs.providers, profile: cidProfile });
      const pin = await pinFolder({
        dir: outDir,
        checkFile: "index.html",
        node: ipfs.node,
        providers: ipfs.providers,
        profile: cidProfile,
      });
      console.log(`Release page: ${outDir} (${release.tracks.length} tracks, playing from ${gateway})`);
      console.log(`Pinned on: ${pin.pinned.join(", ")}`);
      for (const { provider, error } of pin.failed) console.log(`Not pinned on ${provider}: ${error}`);
      console.log(`CID: ${pin.cid}`);
      console.log(`Open: ${config.gateway}/ipfs/${pin.cid}/`);
      // A backend the user configured that does not hold the page is a failure to publish it.
      return pin.failed.length > 0 ? 1 : 0;
    } finally {
      await ipfs.close();
    }
  },
};

/** The gateway `dcmx serve` runs; a random port (0) is nobody's address to put in a page. */
function localGateway(port: number): string {
  if (port === 0) {
    throw new ConfigError(
      "PAGE_GATEWAY",
      "the local gateway's port is chosen at random (IPFS_GATEWAY_PORT=0)",
      {
        field: "--gateway",
        hint: "pass --gateway URL (or set IPFS_GATEWAY_URL) to the gateway listeners will use",
      },
    );
  }
  return `http://127.0.0.1:${port}`;
}

/** The URLs a page is built with, checked: a page whose RPC or gateway is not a URL reaches nothing. */
function pageConfig(values: PageConfig): PageConfig {
  const parsed = PageConfigSchema.safeParse(values);
  if (parsed.success) return parsed.data;
  const field = String(parsed.error.issues[0]!.path[0]);
  throw new InputError("USAGE", `"${values[field as keyof PageConfig]}" is not a URL`, {
    field: `--${field}`,
    hint: "pass an http(s) URL, e.g. --gateway http://127.0.0.1:8180",
  });
}
