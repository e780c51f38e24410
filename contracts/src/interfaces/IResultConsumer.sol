// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @notice What a consumer contract implements to receive an agreed result. Every mode calls it the
/// same way, once per request, when the request is final: Brain (two-phase) when its round reaches a
/// quorum, SinglePhaseBrain in the request's own transaction, OpmlRequests when an answer's claim is
/// final, HybridCourt when the committee's answer (or the answer that overturned it) is final.
///
/// `result` is what the request's result kind says (`ResultKinds`): for OUTPUT_ROOT the exact profile's
/// output root, against which `OutputProof` checks any element of the output tensor; for ARGMAX the
/// label itself (uint256, big-endian), since the committee voted on that canonical form.
///
/// The callback runs with the callbackGas the requester asked for (the oracle reverts rather than
/// starve it, EIP-150); if it reverts, the settlement stands and `CallbackExecuted(id, consumer, false)`
/// is logged. Check `msg.sender` is the oracle you requested from.
interface IResultConsumer {
    function onResult(uint256 requestId, bytes32 result) external;
}
