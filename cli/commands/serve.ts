import { once } from "node:events";
import { loadDotEnv } from "../../pipeline/config/dotenv.js";
import { DEFAULT_WORKDIR, loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { createIpfsBackends } from "../../pipeline/providers/ipfs/factory.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";

const usage = `Usage: dcmx serve [--workdir W]

Runs the embedded IPFS node of the work directory with its local trustless gateway on 127.0.0.1
(IPFS_GATEWAY_PORT, default 8180) until Ctrl-C, so the ipfs:// links of the minted metadata and the
gateway URLs \`dcmx url\` prints can be played: GET /ipfs/<cid> streams a file, ?format=raw a block,
?format=car a verifiable CAR.

Options:
  --workdir W   ledger and local data (default ${DEFAULT_WORKDIR})`;

export const serveCommand: Command = {
  name: "serve",
  summary: "run the local trustless IPFS gateway of the embedded node until Ctrl-C",
  usage,
  async run(args) {
    const { values } = parseCommandArgs("serve", args, { workdir: { type: "string" } });
    const env = loadDotEnv();
    const config = loadPipelineConfig(env, { workDir: values.workdir });
    const ipfs = await createIpfsBackends(env, { workDir: config.workDir });
    try {
      // Said once the first request will be answered at once (the gateway loads its fetcher lazily).
      await ipfs.node.warmGateway();
      console.log(`Gateway: ${ipfs.gateway} (e.g. ${ipfs.gateway}/ipfs/<cid>); Ctrl-C stops it.`);
      await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
      return 0;
    } finally {
      await ipfs.close();
    }
  },
};
