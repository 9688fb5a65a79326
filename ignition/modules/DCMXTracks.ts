import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the DCMXTracks collection. Every constructor argument is a module parameter, so tests, scripts and
 * users deploy the same way (`npx hardhat ignition deploy ignition/modules/DCMXTracks.ts --parameters p.json`
 * with `{ "DCMXTracks": { "name": "...", ... } }`). Roles and royalties default to the deploying account.
 */
export default buildModule("DCMXTracks", (m) => {
  const deployer = m.getAccount(0);
  const tracks = m.contract("DCMXTracks", [
    m.getParameter("name", "DCMX Tracks"),
    m.getParameter("symbol", "DCMX"),
    m.getParameter("admin", deployer),
    m.getParameter("minter", deployer),
    m.getParameter("royaltyReceiver", deployer),
    m.getParameter("royaltyBps", 500),
    m.getParameter("contractURI", ""),
  ]);
  return { tracks };
});
