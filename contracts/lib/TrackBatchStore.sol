// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title TrackBatchStore
 * @notice Stores one minted batch (the owner it was minted to, and per track its content hash and the last 4
 * bytes of its metadata digest) as the bytecode of a data contract, SSTORE2-style.
 *
 * @dev Why bytecode: depositing code costs 200 gas per byte, so a track's 36 bytes cost 7,200 gas, against
 * 22,100 for each fresh storage slot. The data is immutable, which suits a batch: the first owner is a historical
 * fact (later owners live in ERC-721 storage) and corrected metadata is recorded elsewhere. The other 28 bytes
 * of each metadata digest ride in the storage slot the collection needs anyway (see {DCMXTracks}).
 *
 * Data contract code layout (its first byte is STOP so that calling it does nothing):
 *
 * | offset      | size | content                             |
 * | ----------- | ---- | ----------------------------------- |
 * | 0           | 1    | 0x00 (STOP)                         |
 * | 1           | 20   | owner the batch was minted to       |
 * | 21 + 36 * i | 32   | track `i` content hash (SHA-256)    |
 * | 53 + 36 * i | 4    | track `i` metadata digest, last 4 bytes |
 */
library TrackBatchStore {
    /// @notice Bytes per track in calldata (`Track`: content hash then metadata digest).
    uint256 internal constant CALLDATA_TRACK_SIZE = 64;
    uint256 private constant _OWNER_OFFSET = 1;
    uint256 private constant _TRACKS_OFFSET = 21;
    uint256 private constant _RECORD_SIZE = 36;

    /// @notice Deploying the data contract failed (out of gas, or the batch exceeds the code size limit).
    error TrackBatchStoreWriteFailed();

    /**
     * @notice Deploys a data contract holding `owner` and a record per track.
     * @param owner Address the batch is minted to.
     * @param tracks `CALLDATA_TRACK_SIZE` bytes per track, as laid out in calldata by `Track[]`.
     * @return store Address of the data contract.
     */
    function write(address owner, bytes calldata tracks) internal returns (address store) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let code := mload(0x40)
            let runtimeSize := add(_TRACKS_OFFSET, mul(div(tracks.length, CALLDATA_TRACK_SIZE), _RECORD_SIZE))
            // Creation code (10 bytes) returning everything after itself as the runtime code:
            // PUSH2 size, DUP1, PUSH1 0x0a, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN.
            // It is followed by the STOP byte and the owner, all in one 31-byte word.
            mstore(
                code,
                or(
                    or(shl(248, 0x61), shl(232, runtimeSize)),
                    or(shl(176, 0x80600a3d393df3), shl(8, and(owner, 0xffffffffffffffffffffffffffffffffffffffff)))
                )
            )
            // Each record overwrites the zero padding the previous one left after its 4 digest bytes.
            let out := add(code, 31)
            for {
                let at := tracks.offset
                let end := add(at, tracks.length)
            } lt(at, end) {
                at := add(at, CALLDATA_TRACK_SIZE)
            } {
                mstore(out, calldataload(at))
                mstore(add(out, 32), shl(224, calldataload(add(at, 32))))
                out := add(out, _RECORD_SIZE)
            }
            store := create(0, code, add(10, runtimeSize))
        }
        if (store == address(0)) revert TrackBatchStoreWriteFailed();
    }

    /**
     * @notice The owner a batch was minted to.
     * @param store Data contract written by {write}.
     * @return result The batch's first owner.
     */
    function readOwner(address store) internal view returns (address result) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            extcodecopy(store, 0x00, _OWNER_OFFSET, 0x20)
            result := shr(96, mload(0x00))
        }
    }

    /**
     * @notice The record of the track at `index` within its batch.
     * @param store Data contract written by {write}.
     * @param index Position of the track in its batch.
     * @return contentHash SHA-256 of the audio file.
     * @return digestTail Last 4 bytes of the metadata digest minted with it.
     */
    function readTrack(address store, uint256 index) internal view returns (bytes32 contentHash, uint32 digestTail) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            extcodecopy(store, 0x00, add(_TRACKS_OFFSET, mul(index, _RECORD_SIZE)), _RECORD_SIZE)
            contentHash := mload(0x00)
            digestTail := shr(224, mload(0x20))
        }
    }
}
