import { parseAbi } from "viem";

/**
 * The part of the DCMXTracks ABI the pipeline and the audit use, in viem's human-readable form so calls are
 * fully typed. test/contracts checks every fragment against the compiled artifact, so it cannot drift.
 */
export const tracksAbi = parseAbi([
  "struct Track { bytes32 contentHash; bytes32 metadataDigest; }",
  "function mintBatch(address to, Track[] tracks) returns (uint256 firstTokenId)",
  "function tokenOfContentHash(bytes32 contentHash) view returns (uint256)",
  "function contentHashOf(uint256 tokenId) view returns (bytes32 contentHash)",
  "function metadataDigestOf(uint256 tokenId) view returns (bytes32 metadataDigest)",
  "function tokenURI(uint256 tokenId) view returns (string)",
  "function totalSupply() view returns (uint256)",
  "function contractURI() view returns (string)",
  "function name() view returns (string)",
  "function ownerOf(uint256 tokenId) view returns (address)",
  "function royaltyInfo(uint256 tokenId, uint256 salePrice) view returns (address receiver, uint256 amount)",
  "function isMetadataFrozen(uint256 tokenId) view returns (bool)",
  "function supportsInterface(bytes4 interfaceId) view returns (bool)",
  "function setMetadataDigest(uint256 tokenId, bytes32 metadataDigest)",
  "function MAX_BATCH_SIZE() view returns (uint256)",
  "function MINTER_ROLE() view returns (bytes32)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function grantRole(bytes32 role, address account)",
  "function revokeRole(bytes32 role, address account)",
  "function defaultAdmin() view returns (address)",
  "function ownerOf(uint256 tokenId) view returns (address)",
  "function royaltyInfo(uint256 tokenId, uint256 salePrice) view returns (address receiver, uint256 amount)",
  "function isApprovedForAll(address owner, address operator) view returns (bool)",
  "function setApprovalForAll(address operator, bool approved)",
  "function defaultAdminDelay() view returns (uint48)",
  "function pendingDefaultAdmin() view returns (address newAdmin, uint48 acceptSchedule)",
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event TrackMinted(uint256 indexed tokenId, bytes32 indexed contentHash, bytes32 metadataDigest)",
  "error ContentHashAlreadyMinted(bytes32 contentHash, uint256 tokenId)",
  "error DuplicateContentHashInBatch(bytes32 contentHash, uint256 firstIndex, uint256 index)",
  "error BatchTooLarge(uint256 size, uint256 maxSize)",
  "error EmptyBatch()",
  "error ZeroContentHash(uint256 index)",
  "error ZeroMetadataDigest(uint256 index)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
]);
