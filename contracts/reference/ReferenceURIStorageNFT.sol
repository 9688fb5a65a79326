// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/**
 * @title ReferenceURIStorageNFT
 * @notice Benchmark baseline only, never deployed for real: the textbook OpenZeppelin collection that stores each
 * token's full `ipfs://` URI string. `bench/gas.ts` compares {DCMXTracks} against its {mint}.
 */
contract ReferenceURIStorageNFT is ERC721URIStorage, Ownable {
    uint256 private _nextTokenId = 1;

    constructor() ERC721("Reference", "REF") Ownable(msg.sender) {}

    /**
     * @notice Safe-mints the next token to `to` with URI `uri`.
     * @param to Receiver.
     * @param uri Full token URI, e.g. `ipfs://<CIDv1>`.
     * @return tokenId The new token id.
     */
    function mint(address to, string calldata uri) external onlyOwner returns (uint256 tokenId) {
        tokenId = _nextTokenId;
        ++_nextTokenId;
        _safeMint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }
}
