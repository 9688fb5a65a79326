// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IpfsCid
 * @notice Rebuilds the `ipfs://` URI of a single-block IPFS object from its 32-byte SHA-256 digest.
 *
 * @dev A metadata JSON small enough for one block is addressed by the CIDv1 `raw` (0x55) / `sha2-256` (0x12)
 * CID: the 4 bytes `0x01 0x55 0x12 0x20` (version, codec, multihash code, digest length) followed by the digest.
 * Only the digest varies, so contracts store 32 bytes per token and rebuild the 59-character multibase string
 * (`b` + RFC 4648 lower-case base32 without padding) in view functions, where gas costs nobody anything.
 */
library IpfsCid {
    /// @dev CIDv1 prefix: version 1, raw codec, sha2-256 multihash of 32 bytes.
    bytes4 private constant _RAW_SHA256_PREFIX = 0x01551220;
    /// @dev RFC 4648 base32 alphabet, lower case, as multibase `b` uses it.
    bytes32 private constant _BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    /// @dev 36 CID bytes = 288 bits, encoded 5 bits per character and zero-padded: 58 characters.
    uint256 private constant _CID_BYTES = 36;
    uint256 private constant _BASE32_CHARS = 58;

    /**
     * @notice The `ipfs://` URI of the raw-codec sha2-256 CIDv1 whose digest is `digest`.
     * @param digest SHA-256 of the object's bytes.
     * @return The URI, e.g. `ipfs://bafkrei...` (66 characters).
     */
    function rawSha256Uri(bytes32 digest) internal pure returns (string memory) {
        bytes memory cid = abi.encodePacked(_RAW_SHA256_PREFIX, digest);
        bytes memory encoded = new bytes(_BASE32_CHARS);
        for (uint256 i = 0; i < _BASE32_CHARS; ++i) {
            uint256 bitOffset = i * 5;
            uint256 byteIndex = bitOffset / 8;
            // A 5-bit group spans at most two bytes; past the last byte the padding bits are zero.
            uint256 window = uint256(uint8(cid[byteIndex])) << 8;
            if (byteIndex + 1 < _CID_BYTES) window |= uint8(cid[byteIndex + 1]);
            encoded[i] = _BASE32_ALPHABET[(window >> (11 - (bitOffset % 8))) & 31];
        }
        return string.concat("ipfs://b", string(encoded));
    }
}
