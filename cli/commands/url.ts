import { streamingUrls } from "../../pipeline/commands/url/stream-urls.js";
import { InputError } from "../../pipeline/errors.js";
import { StorageSet } from "../../pipeline/storage/storage-set.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions, positiveInt } from "./options.js";

const usage = `Usage: dcmx url <token-id|sha256> [--expires SECONDS] [--contract 0x…] [--rpc URL] [--workdir W]

Prints where a minted track can be streamed: a signed Storj URL (temporary, --expires seconds, at most
7 days) and the IPFS gateway URL (permanent). The token's metadata is fetched and verified first.
With the embedded defaults the S3 URL points at a server this command runs, so it stops working when
the command exits; the IPFS URL works while \`dcmx serve\` runs.

Options:
  --expires S       lifetime of the signed URL in seconds (default STORJ_URL_EXPIRES_SECONDS, 3600)
${COLLECTION_OPTIONS_HELP}`;

export const urlCommand: Command = {
  name: "url",
  summary: "print a minted track's signed Storj URL and its IPFS gateway URL",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs("url", args, {
      expires: { type: "string" },
      ...collectionOptions,
    });
    if (positionals.length !== 1) {
      throw new InputError("USAGE", "expected one token id or SHA-256", {
        field: "<token-id|sha256>",
        hint: "e.g. dcmx url 1",
      });
    }
    const expires =
      values.expires === undefined ? undefined : positiveInt(values.expires, "--expires", 3600, 604_800);
    const target = await collectionFrom(values);
    const storage = await StorageSet.open({ workDir: target.config.workDir });
    try {
      const { tokenId, contentHash, urls } = await streamingUrls(target, storage, positionals[0]!, expires);
      console.log(`Token ${tokenId} (audio SHA-256 ${contentHash})`);
      for (const { provider, url, expires: temporary } of urls) {
        console.log(`  ${provider} (${temporary ? "signed, temporary" : "permanent"}): ${url}`);
      }
      if (storage.embeddedS3) {
        console.log(
          `  note: ${storage.storj.name} is the embedded local S3 of this command; set Storj keys for a URL that outlives it`,
        );
      }
      return 0;
    } finally {
      await storage.close();
    }
  },
};
