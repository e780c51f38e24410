// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IResultDelivery} from "./IResultDelivery.sol";

/// @notice Hybrid (contracts/src/hybrid/HybridCourt.sol): a BRAIN committee answers at once
/// (provisional), the opML game stands behind it; the answer is final after a challenge window, or
/// the honest one replaces it. Only the final output root (ResultKinds.OUTPUT_ROOT) reaches
/// `consumer.onResult`, never a provisional one.
interface IHybridCourt is IResultDelivery {
    event HybridRequested(uint256 indexed requestId, address indexed requester, bytes32 indexed modelId,
        bytes32 initialRoot, address consumer, uint32 callbackGas, uint64 tolerance);
    /// The committee's answer, open to challenges until `challengeDeadline` (not delivered yet).
    event AnswerProvisional(uint256 indexed requestId, bytes32 outputRoot, bytes32 finalRoot, uint256 challengeDeadline);
    /// The final answer (delivered); `upheld` false when the committee's was overturned and replaced.
    event AnswerFinal(uint256 indexed requestId, bytes32 outputRoot, bytes32 finalRoot, bool upheld);
    event HybridTimedOut(uint256 indexed requestId, uint256 refund);

    /// @notice Asks for an answer: fee as value (at least Brain's minFee), the input in the program's
    /// canonical bytes, the callback, and the tolerance a claim standing for the answer must state
    /// (packed float32 atol << 32 | rtol; 0 for an exact model). The request id is Brain's.
    function request(bytes32 modelId, bytes calldata input, address consumer, uint32 callbackGas, uint64 tolerance)
        external
        payable
        returns (uint256 requestId);

    /// @notice The final output root (reverts AnswerNotFinal before).
    function result(uint256 requestId) external view returns (bytes32);
}
