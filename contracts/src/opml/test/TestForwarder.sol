// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice TEST ONLY. A 20-line forwarding contract (a minimal smart wallet): its owner makes calls
/// through it, so the callee sees the contract as msg.sender and the transaction's calldata is
/// `forward(...)`, not the callee's function. Tests use it to submit opML claims and hybrid defenses
/// that calldata decoding cannot see (issue 16, finding 3).
contract TestForwarder {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    /// Calls `target` with `data` and this call's value; bubbles a revert up unchanged.
    function forward(address target, bytes calldata data) external payable returns (bytes memory out) {
        require(msg.sender == owner, "not the owner");
        bool ok;
        (ok, out) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
    }

    receive() external payable {}
}
