import { parseAbi } from "viem";

/**
 * The parts of Seaport 1.6 and its ConduitController that listing and its tests call, in viem's
 * human-readable form; test/contracts checks every fragment against the contracts built from seaport-core.
 */
export const seaportAbi = parseAbi([
  "struct OfferItem { uint8 itemType; address token; uint256 identifierOrCriteria; uint256 startAmount; uint256 endAmount; }",
  "struct ConsiderationItem { uint8 itemType; address token; uint256 identifierOrCriteria; uint256 startAmount; uint256 endAmount; address recipient; }",
  "struct OrderParameters { address offerer; address zone; OfferItem[] offer; ConsiderationItem[] consideration; uint8 orderType; uint256 startTime; uint256 endTime; bytes32 zoneHash; uint256 salt; bytes32 conduitKey; uint256 totalOriginalConsiderationItems; }",
  "struct OrderComponents { address offerer; address zone; OfferItem[] offer; ConsiderationItem[] consideration; uint8 orderType; uint256 startTime; uint256 endTime; bytes32 zoneHash; uint256 salt; bytes32 conduitKey; uint256 counter; }",
  "struct Order { OrderParameters parameters; bytes signature; }",
  "function information() view returns (string version, bytes32 domainSeparator, address conduitController)",
  "function getCounter(address offerer) view returns (uint256 counter)",
  "function getOrderHash(OrderComponents order) view returns (bytes32 orderHash)",
  "function fulfillOrder(Order order, bytes32 fulfillerConduitKey) payable returns (bool fulfilled)",
]);

export const conduitControllerAbi = parseAbi([
  "function getConduit(bytes32 conduitKey) view returns (address conduit, bool exists)",
  "function createConduit(bytes32 conduitKey, address initialOwner) returns (address conduit)",
  "function updateChannel(address conduit, address channel, bool isOpen)",
]);
