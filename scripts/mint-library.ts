import { network } from "hardhat";
import { loadDotEnv } from "../pipeline/config/dotenv.js";
import { capHeap } from "../pipeline/config/heap-cap.js";

// The main job: `npx hardhat run scripts/mint-library.ts [--network localhost|…]`, configured by the
// environment and .env (see .env.storage.example). With nothing configured it runs on embedded defaults.
// The heap cap first (it may restart this process), then the pipeline: a restart loads it once.
capHeap(loadDotEnv());
const { mintLibrary } = await import("../pipeline/hardhat/mint-library.js");
process.exitCode = await mintLibrary(await network.create());
