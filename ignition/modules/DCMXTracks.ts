import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the DCMXTracks collection. Every constructor argument is a module parameter, so tests, scripts and
 * users deploy the same way (`npx hardhat ignition deploy ignition/modules/DCMXTracks.ts --parameters p.json`
 * with `{ "DCMXTracks": { "name": "...", ... } }`). Roles and royalties default to the deploying account; on a
 * public network give `admin` a cold account (a Safe) and keep the deploying key as `minter` only.
 */
/** Two days to notice and cancel an admin transfer nobody meant (OpenZeppelin suggests days, not minutes). */
export const ADMIN_TRANSFER_DELAY_SECONDS = 2 * 24 * 60 * 60;

export default buildModule("DCMXTracks", (m) => {
  const deployer = m.getAccount(0);
  const tracks = m.contract("DCMXTracks", [
    m.getParameter("name", "DCMX Tracks"),
    m.getParameter("symbol", "DCMX"),
    m.getParameter("admin", deployer),
    m.getParameter("adminTransferDelay", ADMIN_TRANSFER_DELAY_SECONDS),
    m.getParameter("minter", deployer),
    m.getParameter("royaltyReceiver", deployer),
    m.getParameter("royaltyBps", 500),
    m.getParameter("contractURI", ""),
  ]);
  return { tracks };
});
