// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IResultConsumer} from "./IResultConsumer.sol";
import {UnauthorizedCaller} from "./Errors.sol";

/// @notice An example consumer: accepts results only from the oracles it was built with and keeps
/// the last result per (oracle, request).
contract ExampleConsumer is IResultConsumer {
    mapping(address => bool) public isOracle;
    mapping(address => mapping(uint256 => bytes32)) public resultOf;
    uint256 public received;

    event ResultReceived(address indexed oracle, uint256 indexed requestId, bytes32 result);

    constructor(address[] memory oracles) {
        for (uint256 i; i < oracles.length; ++i) isOracle[oracles[i]] = true;
    }

    function onResult(uint256 requestId, bytes32 result) external {
        if (!isOracle[msg.sender]) revert UnauthorizedCaller(msg.sender);
        resultOf[msg.sender][requestId] = result;
        ++received;
        emit ResultReceived(msg.sender, requestId, result);
    }
}
