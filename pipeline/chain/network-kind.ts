/**
 * Chain ids only development chains use: Hardhat and Anvil (31337), Ganache and `geth --dev` (1337). Every
 * other chain is treated as public: what is deployed or minted there is seen, and kept, by strangers.
 */
const DEVELOPMENT_CHAIN_IDS = new Set([31_337, 1_337]);

/** Whether a chain is one strangers use: anything but Hardhat's in-process chain or a development chain. */
export function isPublicChain(chain: { chainId: number; ephemeral: boolean }): boolean {
  return !chain.ephemeral && !DEVELOPMENT_CHAIN_IDS.has(chain.chainId);
}
