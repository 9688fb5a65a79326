import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { ConfigError, InputError } from "../../pipeline/errors.js";
import { openLedger } from "../../pipeline/ledger/ledger.js";
import { OpenSeaClient } from "../../pipeline/marketplace/opensea/client.js";
import { syncMarketplace, syncSummary } from "../../pipeline/marketplace/sync.js";
import { createProgress } from "../../pipeline/report/progress.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { COLLECTION_OPTIONS_HELP, collectionFrom, collectionOptions, positiveInt } from "./options.js";

const usage = `Usage: dcmx marketplace sync [--all] [--wait S] [--contract 0x…] [--rpc URL] [--workdir W]

Tells OpenSea about the collection's tokens: for every token minted or changed (its tokenURI) since the
last sync, asks OpenSea to refresh its metadata (API v2), then reads the token back until OpenSea shows
the current tokenURI, and prints what OpenSea shows per token (image, playable animation, disabled).
Tokens OpenSea ingested are remembered in the work directory's ledger, so the next sync sends only what
changed. The mint
run does this by itself when OPENSEA_API_KEY is set. Rate limits are waited out. Exits 1 unless every
refreshed token is shown.

Needs OPENSEA_API_KEY (environment or .env); OPENSEA_API_URL overrides https://api.opensea.io.

Options:
  --all             refresh every token, changed or not
  --wait S          seconds to wait for OpenSea to show the refreshed tokens (default 120)
${COLLECTION_OPTIONS_HELP}`;

export const marketplaceCommand: Command = {
  name: "marketplace",
  summary: "tell OpenSea about new and changed tokens and show what it displays (marketplace sync)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs("marketplace", args, {
      all: { type: "boolean" },
      wait: { type: "string" },
      ...collectionOptions,
    });
    if (positionals[0] !== "sync" || positionals.length !== 1) {
      throw new InputError("USAGE", `expected "sync", got "${positionals.join(" ")}"`, {
        field: "arguments",
        hint: "run dcmx marketplace sync (see dcmx marketplace --help)",
      });
    }
    const waitMs = positiveInt(values.wait, "--wait", 120, 3600) * 1000;
    const target = await collectionFrom(values);
    const opensea = OpenSeaClient.fromEnv(loadDotEnv());
    if (opensea === undefined) {
      throw new ConfigError("OPENSEA_KEY", "no OpenSea API key is set", {
        field: "OPENSEA_API_KEY",
        hint: "get a key at opensea.io/settings/developer and set OPENSEA_API_KEY in .env",
      });
    }
    const ledger = await openLedger(target.config);
    try {
      const result = await syncMarketplace({
        client: target.client,
        contract: target.contract,
        opensea,
        ledger,
        progress: createProgress(undefined, "tokens"),
        all: values.all,
        waitMs,
      });
      for (const line of syncSummary(result)) console.log(line);
      return result.tokens.every((t) => t.status === "shown") ? 0 : 1;
    } finally {
      await ledger.close();
    }
  },
};
