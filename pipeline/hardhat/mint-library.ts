import { writeSync } from "node:fs";
import type { NetworkConnection } from "hardhat/types/network";
import type { PublicClient } from "viem";
import { deployTracks } from "../../ignition/modules/deploy-tracks.js";
import { networkExposure } from "../chain/network-exposure.js";
import type { Hex } from "../chain/tracks-chain.js";
import { ViemTracksChain } from "../chain/viem-tracks-chain.js";
import { loadDotEnv } from "../config/dotenv.js";
import { loadPipelineConfig } from "../config/pipeline-config.js";
import { AbortedError, DcmxError, describeError } from "../errors.js";
import { type Ledger, openLedger } from "../ledger/ledger.js";
import { syncMarketplaceAfterRun } from "../marketplace/after-run.js";
import { planRun } from "../run/plan.js";
import { runPipeline } from "../run/run-pipeline.js";
import { StorageSet } from "../storage/storage-set.js";
import { configuredWorkerSetup } from "../workers/readiness.js";
import { assertWorkerSetup } from "../workers/requirements.js";
import { runLocalWorkers } from "../workers/worker-process.js";
import { chainSetupFrom, rpcUrlOf } from "./chain-setup.js";

/** Exit codes: 0 all done, 1 a track or the run failed, 75 (EX_TEMPFAIL) tracks are waiting for a provider, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, pending: 75, interrupted: 130 } as const;

/**
 * `hardhat run scripts/mint-library.ts` and the `mint-library` task: the library to minted NFTs on the
 * connection's network. Ctrl-C stops scheduling work, lets in-flight writes settle, saves and exits 130.
 */
export async function mintLibrary(
  connection: NetworkConnection,
  options: {
    /** Variables on top of the environment (the task's flags). */
    env?: Record<string, string | undefined>;
    dryRun?: boolean;
    /** A fresh in-process chain for the dry run's gas estimate. */
    simulation?: () => Promise<NetworkConnection>;
  } = {},
): Promise<number> {
  const env = { ...loadDotEnv(), ...options.env };
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = () => {
    if (!controller.signal.aborted) {
      firstSignalAt = Date.now();
      console.error("\nStopping: finishing in-flight writes and saving progress (Ctrl-C again to force) ...");
      controller.abort();
      return;
    }
    // A dependency (when-exit, via atomically) re-raises the signal it saw at once: only a second Ctrl-C
    // from the user, a moment later, forces the exit.
    if (Date.now() - firstSignalAt > 1000) process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let storage: StorageSet | undefined;
  let ledger: Ledger | undefined;
  try {
    const config = loadPipelineConfig(env);
    if (options.dryRun) {
      const simulation = options.simulation && (await options.simulation());
      const chain =
        simulation &&
        (await ViemTracksChain.connect({
          ...(await chainSetupFrom(simulation, { workDir: config.workDir })),
          contract: (await deployTracks(simulation)).address as Hex,
        }));
      const client = await connection.viem.getPublicClient();
      const gasPriceWei = await client.getGasPrice().catch(() => undefined);
      const inProcess = connection.networkConfig.type === "edr-simulated";
      // A network that cannot be asked its chain id counts as public: the warning errs on the safe side.
      const exposure = networkExposure({
        inProcess,
        chainId: await client.getChainId().catch(() => Number.NaN),
        rpcUrl: await rpcUrlOf(connection),
      });
      const network = { name: connection.networkName, exposure, inProcess };
      const { lines } = await planRun({ config, env, simulation: chain, gasPriceWei, network });
      for (const line of lines) console.log(line);
      return EXIT.ok;
    }
    // Read from the variables before any server starts or any worker is spawned (the run checks again what
    // it opened): N workers would each refuse alike.
    if (config.worker || config.workers > 1)
      assertWorkerSetup(
        configuredWorkerSetup(env, config, connection.networkConfig.type === "edr-simulated"),
      );
    if (config.workers > 1 && !config.worker) {
      return await runLocalWorkers({
        count: config.workers,
        network: connection.networkName,
        workDir: config.workDir,
        reportPath: config.reportPath,
        env: options.env,
      });
    }
    // The ledger first: its lock turns a second process away before it starts any server.
    ledger = await openLedger(config);
    storage = await StorageSet.open({ env, workDir: config.workDir });
    if (storage.embeddedS3)
      console.log(`No Storj keys set: using the embedded local S3 server (data in ${config.workDir}/s3).`);
    const { summary: report } = await runPipeline({
      config,
      storage,
      chain: await chainSetupFrom(connection, {
        workDir: config.workDir,
        collection: { admin: config.admin },
        allowHotAdmin: config.allowHotAdmin,
      }),
      signal: controller.signal,
      ledger,
    });
    await syncMarketplaceAfterRun({
      env,
      report,
      ledger,
      client: (await connection.viem.getPublicClient()) as unknown as PublicClient,
      signal: controller.signal,
    });
    if (report.totals.failed > 0) return EXIT.failed;
    return report.totals.pending > 0 ? EXIT.pending : EXIT.ok;
  } catch (error) {
    if (error instanceof AbortedError || controller.signal.aborted) {
      // Written synchronously: Hardhat may exit the process before an asynchronous pipe write drains.
      writeSync(2, "Interrupted: progress is saved in the ledger; run the same command again to continue.\n");
      return EXIT.interrupted;
    }
    console.error(
      `mint-library: ${error instanceof DcmxError ? describeError(error) : ((error as Error)?.stack ?? describeError(error))}`,
    );
    return EXIT.failed;
  } finally {
    await storage?.close();
    await ledger?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
