// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
contract Smoke is ERC721 { constructor() ERC721("S","S") { _mint(msg.sender, 1); } }
