"use strict";
/**
 * The WASM solc of the npm `solc` package, loaded on first use; `solidity.path` in hardhat.config.ts.
 *
 * Hardhat imports a custom compiler into its own process to read its version on every build, also when there
 * is nothing to compile, and the 9 MB module then stays for the whole run: `hardhat run` of an empty script
 * peaked at 283 MB RSS and took 1.05 s, against 92 MB and 0.29 s without the build. Compiling itself happens
 * in a child process that imports this module again. So the version is answered from `longVersion` and the
 * real module is loaded only when something else is called: that is, only by a compile.
 * test/unit/compiler-version.test.ts holds `longVersion` to the installed package's own answer.
 */
const longVersion = "0.8.30+commit.73712a01.Emscripten.clang";

let soljson;
const load = () => {
  soljson ??= require("solc/soljson.js");
  return soljson;
};

module.exports = {
  longVersion,
  // Hardhat's wrapper probes these to choose its bindings; the real module has all three since 0.6.
  _solidity_version: true,
  _solidity_reset: true,
  _solidity_compile: true,
  cwrap(name, returns, parameters) {
    if (name === "solidity_version") return () => longVersion;
    let bound;
    return (...args) => {
      bound ??= load().cwrap(name, returns, parameters);
      return bound(...args);
    };
  },
};
