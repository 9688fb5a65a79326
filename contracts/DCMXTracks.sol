// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/interfaces/IERC165.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IpfsCid} from "./lib/IpfsCid.sol";
import {TrackBatchStore} from "./lib/TrackBatchStore.sol";

/**
 * @title DCMXTracks
 * @notice An artist's music library as ERC-721 tokens, one per track. Every token records the SHA-256 of its
 * audio file (each content hash can be minted once only) and the digest of its metadata JSON, whose
 * `ipfs://` URI {tokenURI} rebuilds. Speaks ERC-2981 royalties, ERC-4906 metadata updates, ERC-7572
 * `contractURI` and OpenSea's `PermanentURI` freeze.
 *
 * @dev Storage layout, chosen so that a track minted in a batch costs about a quarter of an
 * `ERC721URIStorage` mint while every lookup stays O(1):
 *
 * - Per track, one storage slot, keyed by content hash: `_trackEntry[contentHash]`. It is what enforces
 *   "minted once", so it must be a slot, and it is the only per-track `SSTORE`. Its low 32 bits hold the token
 *   id (hence at most 2^32 - 1 tokens) and its high 224 bits the first 28 bytes of the minted metadata digest,
 *   so the slot carries data that would otherwise cost 5,600 gas of bytecode.
 * - Per batch, the first owner and, per track, the content hash and the last 4 bytes of the metadata digest
 *   go into the bytecode of one data contract ({TrackBatchStore}, 200 gas per byte instead of 22,100 per
 *   slot), whose address is stored under the batch's first token id in `_batchStore`. A bit per batch in
 *   `_batchStartBits` marks first token ids, so the batch of any token is found with one or two `SLOAD`s
 *   (batches are at most 256 tokens, the width of one bitmap word). Reading a token thus goes token id ->
 *   batch -> content hash (bytecode) -> `_trackEntry` slot (the rest of the digest).
 * - Ownership is ERC721A-style: OpenZeppelin's `_owners[tokenId]` stays empty for batch-minted tokens and
 *   {_ownerOf} falls back to the batch's first owner; a transfer writes `_owners[tokenId]` through
 *   OpenZeppelin's `_update`, which then takes precedence. Balances are credited per batch with
 *   `_increaseBalance`. There is no burn: an emptied `_owners` slot would fall back to the batch owner.
 * - The metadata digest is the sha2-256 digest of the metadata JSON's CIDv1 with the `raw` codec (the CID of a
 *   single-block JSON); {tokenURI} rebuilds `ipfs://<CID in base32>` from it ({IpfsCid}). An admin correction
 *   lives in `_metadataDigestOverride` and takes precedence over the batch data.
 *
 * Every state change emits an event; {TrackMinted} and {MetadataDigestUpdated} together with the ERC-721
 * `Transfer` events let an indexer rebuild all token state from logs alone.
 *
 * Roles: the key that signs mint batches is a hot key (a laptop, a CI runner) and holds only {MINTER_ROLE}. The
 * collection itself (royalties, contract URI, metadata corrections and freezes, granting roles) belongs to
 * `DEFAULT_ADMIN_ROLE`, which OpenZeppelin's {AccessControlDefaultAdminRules} gives to exactly one account and
 * moves only in two steps with a delay, so a leaked minting key cannot take the collection and a mistyped
 * admin transfer can be cancelled.
 */
contract DCMXTracks is ERC721, ERC2981, AccessControlDefaultAdminRules, IERC4906 {
    /// @notice One track to mint.
    /// @param contentHash SHA-256 of the audio file (non-zero, never minted before).
    /// @param metadataDigest sha2-256 digest of the metadata JSON's raw-codec CIDv1 (non-zero).
    struct Track {
        bytes32 contentHash;
        bytes32 metadataDigest;
    }

    /// @notice Role allowed to {mint} and {mintBatch}.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Most tracks one {mintBatch} or {setMetadataDigests} call accepts (one `_batchStartBits` word).
    uint256 public constant MAX_BATCH_SIZE = 256;

    /// @notice Highest token id: ids are packed in 32 bits of `_trackEntry`.
    uint256 public constant MAX_TOKEN_ID = type(uint32).max;

    bytes4 private constant _ERC4906_INTERFACE_ID = 0x49064906;
    /// @dev `_trackEntry` bits that hold the first 28 bytes of the metadata digest.
    uint256 private constant _DIGEST_HEAD_MASK = ~uint256(type(uint32).max);

    /// @dev Number of tokens minted so far, which is also the last token id (ids start at 1, nothing is burned).
    uint256 private _totalMinted;
    /// @dev Once true, no token's metadata can ever change again.
    bool private _allMetadataFrozen;
    string private _contractURI;
    /// @dev `digest head (224 bits) | tokenId (32 bits)`; zero when the content hash was never minted.
    mapping(bytes32 contentHash => uint256 entry) private _trackEntry;
    /// @dev Bit `id % 256` of word `id / 256` is set when token `id` is the first of a batch.
    mapping(uint256 word => uint256 bits) private _batchStartBits;
    mapping(uint256 firstTokenId => address store) private _batchStore;
    mapping(uint256 tokenId => bytes32 metadataDigest) private _metadataDigestOverride;
    mapping(uint256 tokenId => bool frozen) private _tokenMetadataFrozen;

    /// @notice A track was minted as `tokenId` (alongside the ERC-721 `Transfer` from address zero).
    /// @param tokenId The new token.
    /// @param contentHash SHA-256 of the track's audio file.
    /// @param metadataDigest sha2-256 digest of the metadata JSON's raw-codec CIDv1.
    event TrackMinted(uint256 indexed tokenId, bytes32 indexed contentHash, bytes32 metadataDigest);
    /// @notice An admin replaced the metadata of `tokenId` (alongside ERC-4906 `MetadataUpdate`).
    /// @param tokenId The corrected token.
    /// @param metadataDigest The new digest.
    event MetadataDigestUpdated(uint256 indexed tokenId, bytes32 metadataDigest);
    /// @notice The metadata of `id` is frozen at `value` forever (OpenSea's freeze event).
    /// @param value The token's final URI.
    /// @param id The frozen token.
    event PermanentURI(string value, uint256 indexed id);
    /// @notice The metadata of every token, present and future, is frozen forever.
    event AllMetadataFrozen();
    /// @notice ERC-7572: {contractURI} changed.
    event ContractURIUpdated();
    /// @notice The default ERC-2981 royalty changed.
    /// @param receiver Who receives royalties.
    /// @param feeNumerator Royalty in basis points.
    event DefaultRoyaltyUpdated(address indexed receiver, uint96 indexed feeNumerator);
    /// @notice `tokenId` got its own ERC-2981 royalty.
    /// @param tokenId The token.
    /// @param receiver Who receives its royalties.
    /// @param feeNumerator Royalty in basis points.
    event TokenRoyaltyUpdated(uint256 indexed tokenId, address indexed receiver, uint96 indexed feeNumerator);
    /// @notice `tokenId` is back on the default royalty.
    /// @param tokenId The token.
    event TokenRoyaltyReset(uint256 indexed tokenId);

    /// @notice A batch has no tracks.
    error EmptyBatch();
    /// @notice Minting would take token ids past {MAX_TOKEN_ID}.
    error TokenIdsExhausted(uint256 lastTokenId, uint256 maxTokenId);
    /// @notice A batch has more than {MAX_BATCH_SIZE} tracks.
    error BatchTooLarge(uint256 size, uint256 maxSize);
    /// @notice Track `index` of the call has a zero content hash.
    error ZeroContentHash(uint256 index);
    /// @notice Track `index` of the call (or digest `index` of {setMetadataDigests}) has a zero metadata digest.
    error ZeroMetadataDigest(uint256 index);
    /// @notice `contentHash` is already token `tokenId`.
    error ContentHashAlreadyMinted(bytes32 contentHash, uint256 tokenId);
    /// @notice `contentHash` appears twice in one batch, at `firstIndex` and at `index`.
    error DuplicateContentHashInBatch(bytes32 contentHash, uint256 firstIndex, uint256 index);
    /// @notice The metadata of `tokenId` is frozen, by {freezeMetadata} or {freezeAllMetadata}.
    error MetadataIsFrozen(uint256 tokenId);
    /// @notice {freezeAllMetadata} was already called.
    error AllMetadataIsFrozen();

    /**
     * @param name_ ERC-721 collection name.
     * @param symbol_ ERC-721 symbol.
     * @param admin The one holder of `DEFAULT_ADMIN_ROLE`: grants roles, sets royalties, contract URI, metadata,
     * freezes (non-zero; a multisig such as a Safe in production).
     * @param adminTransferDelay Seconds between starting an admin transfer and when the new admin may accept it.
     * @param minter First holder of {MINTER_ROLE}; the zero address grants it to nobody.
     * @param royaltyReceiver Default ERC-2981 royalty receiver.
     * @param royaltyBps Default royalty in basis points (at most 10,000).
     * @param contractURI_ ERC-7572 collection metadata URI.
     */
    constructor(
        string memory name_,
        string memory symbol_,
        address admin,
        uint48 adminTransferDelay,
        address minter,
        address royaltyReceiver,
        uint96 royaltyBps,
        string memory contractURI_
    ) ERC721(name_, symbol_) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        if (minter != address(0)) _grantRole(MINTER_ROLE, minter);
        _updateDefaultRoyalty(royaltyReceiver, royaltyBps);
        _updateContractURI(contractURI_);
    }

    // ---------------------------------------------------------------- minting

    /**
     * @notice Mints one track to `to` (calling `onERC721Received` if `to` is a contract).
     * @param to Receiver of the token.
     * @param track The track's hashes.
     * @return tokenId The new token id.
     */
    function mint(address to, Track calldata track) external onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        bytes calldata packed;
        // The struct is 64 contiguous calldata bytes: view it as a one-track batch so both entry points share
        // one code path and one data contract layout.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            packed.offset := track
            packed.length := 64
        }
        return _mintTracks(to, packed);
    }

    /**
     * @notice Mints `tracks` to `to` as consecutive token ids (calling `onERC721Received` for each if `to` is a
     * contract).
     * @param to Receiver of the tokens.
     * @param tracks 1 to {MAX_BATCH_SIZE} tracks; content hashes must be new and distinct.
     * @return firstTokenId Id of `tracks[0]`; track `i` is `firstTokenId + i`.
     */
    function mintBatch(
        address to,
        Track[] calldata tracks
    ) external onlyRole(MINTER_ROLE) returns (uint256 firstTokenId) {
        if (tracks.length == 0) revert EmptyBatch();
        if (tracks.length > MAX_BATCH_SIZE) revert BatchTooLarge(tracks.length, MAX_BATCH_SIZE);
        bytes calldata packed;
        // `Track` is a static struct, so the ABI lays the array out as `tracks.length` contiguous 64-byte records.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            packed.offset := tracks.offset
            packed.length := mul(tracks.length, 64)
        }
        return _mintTracks(to, packed);
    }

    // ---------------------------------------------------------------- lookups

    /**
     * @notice The token that records `contentHash`.
     * @param contentHash SHA-256 of an audio file.
     * @return The token id, or 0 when the hash was never minted.
     */
    function tokenOfContentHash(bytes32 contentHash) external view returns (uint256) {
        return uint32(_trackEntry[contentHash]);
    }

    /**
     * @notice The SHA-256 of the audio file of `tokenId`. Reverts with `ERC721NonexistentToken` if absent.
     * @param tokenId An existing token.
     * @return contentHash The content hash recorded at mint.
     */
    function contentHashOf(uint256 tokenId) external view returns (bytes32 contentHash) {
        (contentHash, ) = _mintedTrack(tokenId);
    }

    /**
     * @notice The current metadata CID digest of `tokenId` (an admin correction if any, else the minted one).
     * @param tokenId An existing token.
     * @return metadataDigest sha2-256 digest of the metadata JSON's raw-codec CIDv1.
     */
    function metadataDigestOf(uint256 tokenId) public view returns (bytes32 metadataDigest) {
        metadataDigest = _metadataDigestOverride[tokenId];
        if (metadataDigest == 0) (, metadataDigest) = _mintedTrack(tokenId);
    }

    /**
     * @notice `ipfs://<CIDv1, raw codec, sha2-256, base32>` of the token's metadata JSON.
     * @param tokenId An existing token.
     * @return The URI, rebuilt from {metadataDigestOf}.
     */
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        return IpfsCid.rawSha256Uri(metadataDigestOf(tokenId));
    }

    /**
     * @notice Number of tokens in existence; token ids are `1..totalSupply()`.
     * @return The count.
     */
    function totalSupply() external view returns (uint256) {
        return _totalMinted;
    }

    /**
     * @notice Whether the metadata of `tokenId` can never change again.
     * @param tokenId Any token id.
     * @return True after {freezeAllMetadata} or {freezeMetadata} of that token.
     */
    function isMetadataFrozen(uint256 tokenId) public view returns (bool) {
        return _allMetadataFrozen || _tokenMetadataFrozen[tokenId];
    }

    /**
     * @notice ERC-7572 collection metadata URI.
     * @return The URI.
     */
    function contractURI() external view returns (string memory) {
        return _contractURI;
    }

    /// @inheritdoc IERC165
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(ERC721, ERC2981, AccessControlDefaultAdminRules, IERC165) returns (bool) {
        return interfaceId == _ERC4906_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- admin: metadata

    /**
     * @notice Replaces the metadata of `tokenId`, unless frozen. Emits {MetadataDigestUpdated} and ERC-4906
     * `MetadataUpdate`.
     * @param tokenId An existing token.
     * @param metadataDigest New non-zero digest.
     */
    function setMetadataDigest(uint256 tokenId, bytes32 metadataDigest) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMetadataDigest(tokenId, metadataDigest, 0);
        emit MetadataUpdate(tokenId);
    }

    /**
     * @notice Replaces the metadata of tokens `fromTokenId .. fromTokenId + digests.length - 1`, none of which
     * may be frozen. Emits {MetadataDigestUpdated} per token and one ERC-4906 `BatchMetadataUpdate`.
     * @param fromTokenId First token of the range.
     * @param digests 1 to {MAX_BATCH_SIZE} new non-zero digests.
     */
    function setMetadataDigests(
        uint256 fromTokenId,
        bytes32[] calldata digests
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (digests.length == 0) revert EmptyBatch();
        if (digests.length > MAX_BATCH_SIZE) revert BatchTooLarge(digests.length, MAX_BATCH_SIZE);
        for (uint256 i = 0; i < digests.length; ++i) {
            _setMetadataDigest(fromTokenId + i, digests[i], i);
        }
        emit BatchMetadataUpdate(fromTokenId, fromTokenId + digests.length - 1);
    }

    /**
     * @notice Freezes the metadata of `tokenId` forever. Emits `PermanentURI`.
     * @param tokenId An existing token whose metadata is not frozen yet.
     */
    function freezeMetadata(uint256 tokenId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireMinted(tokenId);
        if (isMetadataFrozen(tokenId)) revert MetadataIsFrozen(tokenId);
        _tokenMetadataFrozen[tokenId] = true;
        emit PermanentURI(tokenURI(tokenId), tokenId);
    }

    /// @notice Freezes the metadata of every token, including those minted later, forever.
    function freezeAllMetadata() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_allMetadataFrozen) revert AllMetadataIsFrozen();
        _allMetadataFrozen = true;
        emit AllMetadataFrozen();
    }

    /**
     * @notice Sets the ERC-7572 collection metadata URI. Emits `ContractURIUpdated`.
     * @param newContractURI The new URI.
     */
    function setContractURI(string calldata newContractURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _updateContractURI(newContractURI);
    }

    // ---------------------------------------------------------------- admin: royalties

    /**
     * @notice Sets the default ERC-2981 royalty.
     * @param receiver Non-zero receiver.
     * @param feeNumerator Basis points, at most 10,000.
     */
    function setDefaultRoyalty(address receiver, uint96 feeNumerator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _updateDefaultRoyalty(receiver, feeNumerator);
    }

    /**
     * @notice Gives `tokenId` its own ERC-2981 royalty.
     * @param tokenId An existing token.
     * @param receiver Non-zero receiver.
     * @param feeNumerator Basis points, at most 10,000.
     */
    function setTokenRoyalty(
        uint256 tokenId,
        address receiver,
        uint96 feeNumerator
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireMinted(tokenId);
        _setTokenRoyalty(tokenId, receiver, feeNumerator);
        emit TokenRoyaltyUpdated(tokenId, receiver, feeNumerator);
    }

    /**
     * @notice Puts `tokenId` back on the default royalty.
     * @param tokenId An existing token.
     */
    function resetTokenRoyalty(uint256 tokenId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireMinted(tokenId);
        _resetTokenRoyalty(tokenId);
        emit TokenRoyaltyReset(tokenId);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Batch-minted tokens have no `_owners` entry until first transferred: fall back to the batch owner.
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        address owner = super._ownerOf(tokenId);
        if (owner != address(0) || !_isMinted(tokenId)) return owner;
        return TrackBatchStore.readOwner(_batchStore[_batchStartOf(tokenId)]);
    }

    /// @dev Mints `packed.length / 64` tracks laid out as in calldata; the single code path of both mints.
    function _mintTracks(address to, bytes calldata packed) private returns (uint256 firstTokenId) {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        uint256 count = packed.length / TrackBatchStore.CALLDATA_TRACK_SIZE;
        firstTokenId = _totalMinted + 1;
        uint256 lastTokenId = firstTokenId + count - 1;
        if (lastTokenId > MAX_TOKEN_ID) revert TokenIdsExhausted(lastTokenId, MAX_TOKEN_ID);
        for (uint256 i = 0; i < count; ++i) {
            (bytes32 contentHash, bytes32 metadataDigest) = _trackAt(packed, i);
            if (contentHash == 0) revert ZeroContentHash(i);
            if (metadataDigest == 0) revert ZeroMetadataDigest(i);
            uint256 tokenId = firstTokenId + i;
            uint256 existing = uint32(_trackEntry[contentHash]);
            if (existing != 0) {
                if (existing < firstTokenId) revert ContentHashAlreadyMinted(contentHash, existing);
                revert DuplicateContentHashInBatch(contentHash, existing - firstTokenId, i);
            }
            _trackEntry[contentHash] = (uint256(metadataDigest) & _DIGEST_HEAD_MASK) | tokenId;
            emit Transfer(address(0), to, tokenId);
            emit TrackMinted(tokenId, contentHash, metadataDigest);
        }
        _totalMinted = lastTokenId;
        _increaseBalance(to, uint128(count));
        _batchStore[firstTokenId] = TrackBatchStore.write(to, packed);
        _batchStartBits[firstTokenId >> 8] |= 1 << (firstTokenId & 0xff);
        // Receiver checks come last, once every effect is recorded, so a re-entrant call sees consistent state.
        if (to.code.length != 0) {
            for (uint256 i = 0; i < count; ++i) {
                ERC721Utils.checkOnERC721Received(_msgSender(), address(0), to, firstTokenId + i, "");
            }
        }
    }

    /// @dev Records an admin correction of one token's metadata; `index` locates a zero digest in a batch call.
    function _setMetadataDigest(uint256 tokenId, bytes32 metadataDigest, uint256 index) private {
        _requireMinted(tokenId);
        if (metadataDigest == 0) revert ZeroMetadataDigest(index);
        if (isMetadataFrozen(tokenId)) revert MetadataIsFrozen(tokenId);
        _metadataDigestOverride[tokenId] = metadataDigest;
        emit MetadataDigestUpdated(tokenId, metadataDigest);
    }

    function _updateDefaultRoyalty(address receiver, uint96 feeNumerator) private {
        _setDefaultRoyalty(receiver, feeNumerator);
        emit DefaultRoyaltyUpdated(receiver, feeNumerator);
    }

    function _updateContractURI(string memory newContractURI) private {
        _contractURI = newContractURI;
        emit ContractURIUpdated();
    }

    /// @dev The hashes recorded at mint for `tokenId`: from its batch's data contract, then its `_trackEntry`.
    function _mintedTrack(uint256 tokenId) private view returns (bytes32 contentHash, bytes32 metadataDigest) {
        _requireMinted(tokenId);
        uint256 firstTokenId = _batchStartOf(tokenId);
        uint32 digestTail;
        (contentHash, digestTail) = TrackBatchStore.readTrack(_batchStore[firstTokenId], tokenId - firstTokenId);
        metadataDigest = bytes32((_trackEntry[contentHash] & _DIGEST_HEAD_MASK) | digestTail);
    }

    /// @dev First token id of the batch holding existing token `tokenId`: the highest set bit at or below it.
    function _batchStartOf(uint256 tokenId) private view returns (uint256) {
        uint256 word = tokenId >> 8;
        uint256 bits = _batchStartBits[word] & (type(uint256).max >> (255 - (tokenId & 0xff)));
        // Token 1 starts the first batch, so for an existing token this reaches a set bit (in at most one more
        // word, since batches are at most 256 tokens).
        while (bits == 0) bits = _batchStartBits[--word];
        return (word << 8) | Math.log2(bits);
    }

    function _isMinted(uint256 tokenId) private view returns (bool) {
        return tokenId != 0 && tokenId < _totalMinted + 1;
    }

    function _requireMinted(uint256 tokenId) private view {
        if (!_isMinted(tokenId)) revert ERC721NonexistentToken(tokenId);
    }

    function _trackAt(
        bytes calldata packed,
        uint256 index
    ) private pure returns (bytes32 contentHash, bytes32 metadataDigest) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let at := add(packed.offset, mul(index, 64))
            contentHash := calldataload(at)
            metadataDigest := calldataload(add(at, 32))
        }
    }
}
