// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice What a consumer contract implements to receive an agreed result: the callback that the
/// BRAIN contract executes once a request is final (two-phase) or in the request's own transaction
/// (single-phase baseline).
interface IResultConsumer {
    function onResult(uint256 requestId, bytes32 result) external;
}
