// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

/**
 * @title ERC721ReceiverMock
 * @notice Test double for `safeTransferFrom` and safe minting: a receiver contract whose answer is chosen at deploy.
 */
contract ERC721ReceiverMock is IERC721Receiver {
    /// @notice How {onERC721Received} answers.
    enum Behaviour {
        Accept,
        WrongSelector,
        RevertWithError,
        RevertEmpty
    }

    Behaviour private immutable _BEHAVIOUR;

    /// @notice A token arrived and was accepted.
    /// @param operator Caller of the transfer or mint.
    /// @param from Previous owner (zero for a mint).
    /// @param tokenId The token.
    /// @param data Data passed along.
    event Received(address indexed operator, address indexed from, uint256 indexed tokenId, bytes data);

    /// @notice Raised in {Behaviour.RevertWithError} mode.
    /// @param tokenId The refused token.
    error TokenRefused(uint256 tokenId);

    /// @param behaviour How {onERC721Received} answers.
    constructor(Behaviour behaviour) {
        _BEHAVIOUR = behaviour;
    }

    /// @inheritdoc IERC721Receiver
    function onERC721Received(
        address operator,
        address from,
        uint256 tokenId,
        bytes calldata data
    ) external returns (bytes4) {
        if (_BEHAVIOUR == Behaviour.WrongSelector) return 0xdeadbeef;
        if (_BEHAVIOUR == Behaviour.RevertWithError) revert TokenRefused(tokenId);
        if (_BEHAVIOUR == Behaviour.RevertEmpty) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(0, 0)
            }
        }
        emit Received(operator, from, tokenId, data);
        return IERC721Receiver.onERC721Received.selector;
    }
}
