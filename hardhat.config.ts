import { createRequire } from "node:module";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import { configVariable, defineConfig, task } from "hardhat/config";

// The compiler is the WASM build shipped in the npm `solc` package, so building never downloads
// anything; compiler/soljson-lazy.cjs loads it only when there is something to compile. Its version is
// pinned in package.json and must equal the one that module declares.
const solcPath = createRequire(import.meta.url).resolve("./compiler/soljson-lazy.cjs");
const SOLC_VERSION = (createRequire(import.meta.url)(solcPath) as { longVersion: string }).longVersion.split(
  "+",
)[0]!;

const compiler = (runs: number) => ({
  version: SOLC_VERSION,
  path: solcPath,
  // Cancun is live on Ethereum and on every major L2, so one build deploys anywhere.
  settings: { optimizer: { enabled: true, runs }, evmVersion: "cancun" },
});

// Seaport 1.6 from its npm sources, deployed on local nodes by the listing tests (`dcmx list`).
const SEAPORT_SOURCES = ["seaport-core/src/Seaport.sol", "seaport-core/src/conduit/ConduitController.sol"];

const option = <N extends string>(name: N, description: string) => ({ name, description, defaultValue: "" });

export default defineConfig({
  tasks: [
    task(
      "mint-library",
      "Store a music library on Storj + IPFS and mint every track (flags override DCMX_* variables)",
    )
      .addOption(option("library", "folder of tracks (DCMX_LIBRARY, default examples/library)"))
      .addOption(option("artworkDir", "folder of artwork named like the tracks (DCMX_ARTWORK_DIR)"))
      .addOption(option("metadata", "metadata.json with per-track overrides (DCMX_METADATA)"))
      .addOption(option("workdir", "journal and local data (DCMX_WORKDIR, default .dcmx)"))
      .addOption(option("report", "JSON report path (DCMX_REPORT)"))
      .addOption(option("contract", "existing collection to mint into (DCMX_CONTRACT)"))
      .addOption(
        option("admin", "admin of a new collection, e.g. a Safe (DCMX_ADMIN; the minting key only mints)"),
      )
      .addFlag({
        name: "allowHotAdmin",
        description:
          "on a public chain, let the minting key also be the admin (DCMX_ALLOW_HOT_ADMIN; dangerous)",
      })
      .addOption(
        option("require", "providers that must hold audio before minting: storj,ipfs (DCMX_REQUIRE)"),
      )
      .addOption(option("batchSize", "tracks per mint transaction (DCMX_MINT_BATCH, default 50)"))
      .addOption(option("concurrency", "uploads at once (MAX_CONCURRENT_UPLOADS, default 5)"))
      .addOption(
        option(
          "workers",
          "worker processes sharing a PostgreSQL ledger (DCMX_WORKERS; needs DCMX_DATABASE_URL, see docs/LABELS.md)",
        ),
      )
      .addFlag({
        name: "dryRun",
        description: "print the plan (tracks, bytes per provider, estimated gas) and touch nothing",
      })
      .setAction(() => import("./tasks/mint-library.js"))
      .build(),
    task(
      "verify-collection",
      "Audit a minted collection: on-chain hash vs. metadata and audio on every provider (exit 1 if missing/corrupt)",
    )
      .addOption(option("contract", "the collection (DCMX_CONTRACT, else the work directory's report.json)"))
      .addOption(option("workdir", "journal and local data (DCMX_WORKDIR, default .dcmx)"))
      .addOption(option("json", "JSON report path (default <workdir>/audit.json)"))
      .addOption(option("gateway", "a trustless IPFS gateway also asked for metadata"))
      .setAction(() => import("./tasks/verify.js"))
      .build(),
  ],
  plugins: [
    hardhatViem,
    hardhatViemAssertions,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatIgnitionViem,
    hardhatKeystore,
  ],
  solidity: {
    compilers: [compiler(10_000)],
    npmFilesToBuild: SEAPORT_SOURCES,
    // At 10,000 runs Seaport's code passes the 24,576-byte limit and a node refuses to deploy it.
    overrides: { "seaport-core/src/Seaport.sol": compiler(200) },
  },
  paths: {
    tests: { mocha: "test" },
  },
  test: {
    mocha: { timeout: 120_000 },
  },
  networks: {
    // `hardhat node` on the default port (LOCALHOST_RPC_URL moves it, e.g. for tests on a free port).
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    // Any EVM chain: the RPC URL and deployer key come from the keystore or the environment, never a file.
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
