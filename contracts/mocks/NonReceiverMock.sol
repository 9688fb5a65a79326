// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title NonReceiverMock
 * @notice Test double: a contract that does not implement `onERC721Received` (nor a fallback), so safe transfers
 * to it must revert.
 */
contract NonReceiverMock {
    /// @notice Gives the contract code without a receiver hook.
    /// @return Always true.
    function exists() external pure returns (bool) {
        return true;
    }
}
