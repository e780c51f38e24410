// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {IResultDelivery} from "./IResultDelivery.sol";

/// @notice BRAIN, two-phase (contracts/src/Brain.sol): a committee drawn by stake commits and reveals;
/// a quorum's result is final at once and delivered to `consumer.onResult`.
interface ITribunalBrain is IResultDelivery {
    event Requested(uint256 indexed requestId, address indexed requester, bytes32 indexed modelId,
        bytes32 inputHash, uint256 fee, uint8 resultKind, address consumer, uint32 callbackGas);
    event Finalized(uint256 indexed requestId, bytes32 result, uint256 votes, uint256 committeeSize);
    /// No quorum by the reveal deadline: the fee is refunded and no callback runs.
    event TimedOut(uint256 indexed requestId, uint256 refund);
    event Cancelled(uint256 indexed requestId, uint256 refund);

    /// @notice Queues a request (fee as value, at least `minFee`) whose input travels in calldata, in the
    /// encoding of this package's README.md, "Input encoding". `resultKind`: `ResultKinds`. `consumer` (a
    /// contract, or address(0) for none) gets `onResult` with `callbackGas` (at most `maxCallbackGas`); the
    /// value then also pays the callback allowance (`callbackGas` at this block's base fee), which goes to
    /// whoever finalizes (its transaction runs the callback), or back with the fee when no callback runs.
    function request(bytes32 modelId, bytes calldata input, uint8 resultKind, address consumer, uint32 callbackGas)
        external
        payable
        returns (uint256 requestId);

    /// @notice Same, with the input's sha256 and where members fetch it instead of the input.
    function requestByHash(bytes32 modelId, bytes32 inputHash, string calldata uri, uint8 resultKind,
        address consumer, uint32 callbackGas) external payable returns (uint256 requestId);

    /// @notice A request still queued after `queueTimeout` blocks: its requester takes the fee back.
    function cancel(uint256 requestId) external;

    function minFee() external view returns (uint256);
}
