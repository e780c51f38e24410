// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IResultConsumer} from "./interfaces/IResultConsumer.sol";
import {IResultDelivery} from "./interfaces/IResultDelivery.sol";
import {ResultKinds} from "./interfaces/ResultKinds.sol";
import {InsufficientGasForCallback, CallbackGasTooHigh, InvalidConfig} from "./Errors.sol";

/// @notice Executes a request's callback with the agreed result, with the gas the requester asked
/// for. A callback that reverts does not undo the settlement: it is reported by CallbackExecuted.
abstract contract ResultDelivery is IResultDelivery {
    /// Result kinds: what the bytes32 result holds (interfaces/ResultKinds.sol, contracts/README.md).
    uint8 public constant KIND_OUTPUT_ROOT = ResultKinds.OUTPUT_ROOT;
    uint8 public constant KIND_ARGMAX = ResultKinds.ARGMAX;
    uint8 public constant KIND_TOKEN_IDS = ResultKinds.TOKEN_IDS;
    uint8 public constant KIND_RAW = ResultKinds.RAW;
    uint8 public constant KIND_NODE_CHECK = ResultKinds.NODE_CHECK;

    uint256 public immutable maxCallbackGas;

    constructor(uint256 maxCallbackGas_) {
        if (maxCallbackGas_ == 0) revert InvalidConfig("maxCallbackGas must be positive");
        maxCallbackGas = maxCallbackGas_;
    }

    function _checkCallback(address consumer, uint256 callbackGas) internal view {
        if (callbackGas > maxCallbackGas) revert CallbackGasTooHigh(callbackGas, maxCallbackGas);
        // A consumer without code would make the try below revert instead of being caught.
        if (consumer != address(0) && consumer.code.length == 0) revert InvalidConfig("consumer is not a contract");
    }

    /// The callback allowance (contracts/README.md, "Callback allowance"): what a request with a consumer pays,
    /// besides its fee, for the gas of its callback, which runs in the transaction of whoever delivers the
    /// result: `callbackGas` at the request block's base fee. It goes to the deliverer, or back to the requester
    /// when no callback runs, so nobody pays for someone else's callback (DESIGN.md section 9).
    function _callbackAllowance(address consumer, uint256 callbackGas) internal view returns (uint256) {
        return consumer == address(0) ? 0 : callbackGas * block.basefee;
    }

    function _deliver(uint256 requestId, address consumer, uint256 callbackGas, bytes32 result) internal {
        if (consumer == address(0)) return;
        // INVARIANT: a consumer whose code is gone (created and destroyed in its request's transaction, EIP-6780)
        // is a failed callback: a `try` call to an address without code reverts in the caller, uncaught, so every
        // settlement of the round would revert and the committee's stake stay locked for good.
        if (consumer.code.length == 0) {
            emit CallbackExecuted(requestId, consumer, false);
            return;
        }
        uint256 needed = callbackGas + callbackGas / 63 + 10_000;
        // INVARIANT: whoever sends this transaction cannot starve the callback of its gas (EIP-150).
        if (gasleft() < needed) revert InsufficientGasForCallback(requestId, gasleft(), needed);
        try IResultConsumer(consumer).onResult{gas: callbackGas}(requestId, result) {
            emit CallbackExecuted(requestId, consumer, true);
        } catch {
            emit CallbackExecuted(requestId, consumer, false);
        }
    }
}
