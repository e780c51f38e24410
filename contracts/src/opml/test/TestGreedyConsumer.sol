// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IResultConsumer} from "../../IResultConsumer.sol";

/// @notice TEST ONLY. A consumer whose callback needs (almost) all the gas it was promised: it fails
/// unless it starts with at least `needs` gas. Tests use it to play the starved-callback attack (a
/// finalizer that leaves too little gas, so that a try/catch swallows the callback's out-of-gas).
contract TestGreedyConsumer is IResultConsumer {
    uint256 public immutable needs;
    mapping(address => mapping(uint256 => bytes32)) public resultOf;
    uint256 public received;

    constructor(uint256 needs_) {
        needs = needs_;
    }

    function onResult(uint256 requestId, bytes32 result) external {
        require(gasleft() >= needs, "starved");
        resultOf[msg.sender][requestId] = result;
        received += 1;
    }
}
