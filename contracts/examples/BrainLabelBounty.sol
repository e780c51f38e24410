// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ITribunalBrain} from "@tribunal/contracts/interfaces/ITribunalBrain.sol";
import {ResultKinds} from "@tribunal/contracts/interfaces/ResultKinds.sol";
import {LabelBounty, AsyncLabelBounty} from "./LabelBounty.sol";

/// @notice LabelBounty over BRAIN (two-phase): the committee's output root is final at once. A lying
/// majority's root is final too: this dapp then acts on the lie (see HybridLabelBounty). (With
/// ResultKinds.ARGMAX the callback would carry the fast profile's label itself, nothing to prove.)
contract BrainLabelBounty is AsyncLabelBounty {
    ITribunalBrain public immutable brain;

    constructor(ITribunalBrain brain_, bytes32 modelId_, uint256 outputCount_, uint256 scaleWad_, uint256 target_,
        uint256 prize_) payable LabelBounty(modelId_, outputCount_, scaleWad_, target_, prize_) {
        brain = brain_;
    }

    function oracle() public view override returns (address) {
        return address(brain);
    }

    function _request(bytes calldata input, uint256 fee) internal override returns (uint256) {
        return brain.request{value: fee}(modelId, input, ResultKinds.OUTPUT_ROOT, address(this), CALLBACK_GAS);
    }
}
