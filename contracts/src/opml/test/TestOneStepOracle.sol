// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOneStep} from "../../onestep/IOneStep.sol";

/// @notice TEST ONLY. A one-step "verifier" that believes its proof: proof = abi.encode(value, slot).
/// It checks nothing; it lets tests of the game's own rules run without the real verifier
/// (contracts/src/onestep). Never deploy it outside tests.
contract TestOneStepOracle is IOneStep {
    function element(bytes32, bytes32, uint256, uint256, bytes calldata proof)
        external
        pure
        returns (int256 value, uint256 outputSlot)
    {
        (value, outputSlot) = abi.decode(proof, (int256, uint256));
    }
}
