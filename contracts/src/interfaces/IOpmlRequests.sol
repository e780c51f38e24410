// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IResultDelivery} from "./IResultDelivery.sol";

/// @notice opML requests (contracts/src/opml/OpmlRequests.sol): a bonded claim answers, final after a
/// challenge window unless a watcher refutes it with the bisection game. The first final answer settles
/// the request: its output root (ResultKinds.OUTPUT_ROOT) goes to `consumer.onResult`.
interface IOpmlRequests is IResultDelivery {
    event OpmlRequested(uint256 indexed requestId, address indexed requester, bytes32 modelId, bytes32 initialRoot,
        uint256 fee, uint256 deadline, bytes input, uint64 tolerance, address consumer, uint32 callbackGas);
    /// status 2: final (outputRoot delivered); 3: timed out (fee refunded, no callback).
    event RequestSettled(uint256 indexed requestId, uint8 status, uint256 claimId, bytes32 outputRoot, address paidTo,
        uint256 amount);

    /// @notice Posts a request: fee as value (at least `minFee`), the input in the program's canonical
    /// bytes (this package's README.md, "Input encoding"), a deadline in blocks, the tolerance answers' claims
    /// must state (packed float32 atol << 32 | rtol; 0 for an exact model), and the callback.
    function request(bytes32 modelId, bytes calldata input, uint64 deadlineBlocks, uint64 tolerance, address consumer,
        uint32 callbackGas) external payable returns (uint256 requestId);

    /// @notice Settles with the first final answer (delivering it), or times out past the deadline. Anyone may call it.
    function settle(uint256 requestId) external returns (uint8 status);

    function minFee() external view returns (uint256);
}
