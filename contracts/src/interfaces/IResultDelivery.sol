// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @notice What every oracle that calls `IResultConsumer.onResult` shares.
interface IResultDelivery {
    /// The consumer's callback ran (`success`) or reverted (the settlement stands either way).
    event CallbackExecuted(uint256 indexed requestId, address indexed consumer, bool success);

    /// The most gas a request may ask its callback to get.
    function maxCallbackGas() external view returns (uint256);
}
