import { defaultExportDir, exportCollection } from "../../pipeline/commands/export/marketplace-export.js";
import { StorageSet } from "../../pipeline/storage/storage-set.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions } from "./options.js";

const DEFAULT_EXPORT_GATEWAY = "https://ipfs.io";

const usage = `Usage: dcmx export [--contract 0x…] [--rpc URL] [--gateway URL] [--out DIR] [--workdir W]

Writes listing-ready data for a minted collection: tokens.json and tokens.csv (per token: token id,
name, description, image and animation URLs through the chosen gateway, the media type animation_url
serves, external_url, content hash, attributes; from the chain: chain and chain id, contract, token
standard, tokenURI as metadata_url, owner, royalty receiver and basis points, frozen or not; the OpenSea
page, and where the token falls short of OpenSea's metadata standard) and collection.json (the
contractURI document; from release.json when the chain has none yet), with its own advice printed. Only metadata that verifies
against its CID and the on-chain hash is exported; other tokens are listed as skipped (exit 1).
To correct a token's metadata, pin the new document and call the contract's setMetadataDigest (admin):
its ERC-4906 MetadataUpdate event tells marketplaces to refresh; dcmx verify then checks it.

Options:
  --gateway URL     HTTP gateway for image/animation URLs (default IPFS_GATEWAY_URL, else ${DEFAULT_EXPORT_GATEWAY})
  --out DIR         output folder (default <workdir>/export)
${COLLECTION_OPTIONS_HELP}`;

export const exportCommand: Command = {
  name: "export",
  summary: "write marketplace listing data (JSON, CSV) and the collection's contractURI document",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("export", args, {
      gateway: { type: "string" },
      out: { type: "string" },
      ...collectionOptions,
    });
    const target = await collectionFrom(values);
    const storage = await StorageSet.open({ workDir: target.config.workDir });
    try {
      const result = await exportCollection({
        target,
        storage,
        gateway: values.gateway ?? process.env.IPFS_GATEWAY_URL ?? DEFAULT_EXPORT_GATEWAY,
        outDir: values.out ?? defaultExportDir(target.config.workDir),
      });
      console.log(`Exported ${result.listings.length} tokens: ${result.files.join(", ")}`);
      if (result.collectionSource) console.log(`Collection document from ${result.collectionSource}`);
      for (const advice of result.collectionAdvice) console.log(`  OpenSea advice, collection ${advice}`);
      for (const { tokenId, openSeaAdvice } of result.listings)
        for (const advice of openSeaAdvice) console.log(`  OpenSea advice, token ${tokenId} ${advice}`);
      for (const { tokenId, reason } of result.skipped) console.log(`  skipped token ${tokenId}: ${reason}`);
      return result.skipped.length > 0 ? 1 : 0;
    } finally {
      await storage.close();
    }
  },
};
