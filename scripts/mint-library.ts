import { network } from "hardhat";
import { mintLibrary } from "../pipeline/hardhat/mint-library.js";

// The main job: `npx hardhat run scripts/mint-library.ts [--network localhost|…]`, configured by the
// environment and .env (see .env.storage.example). With nothing configured it runs on embedded defaults.
process.exitCode = await mintLibrary(await network.create());
