// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// The one-step machine of the opML dispute game: it recomputes one element of one node's output
/// from the node's inputs, each proven against the agreed state S_{step-1}. The game never knows
/// which op ran; it compares the value with the claimed chunk's element.
///
/// Every node of the exact profile writes one int16 output slot, so `value` is an int16.
/// Elements past the output's last element but inside its padded tensor tree are zero padding:
/// their value is 0 (no inputs are read). Elements past the padded tree revert.
interface IOneStep {
    /// Recomputes element `element` (flat, row-major) of the output of the node run at step `step`
    /// of the program whose root is `programRoot`, reading the node's inputs from the state whose
    /// root is `stateRoot` (S_{step-1}). `proof` is an ABI-encoded bundle (node descriptor with its
    /// path in the program tree; for each input slot: its tensor root with its path in the state
    /// tree and the chunks the element reads, each with its path in the tensor tree). Reverts with
    /// a named error when any proof fails. Returns the int16 output value and the output slot.
    function element(bytes32 programRoot, bytes32 stateRoot, uint256 step, uint256 element, bytes calldata proof)
        external view returns (int256 value, uint256 outputSlot);
}
