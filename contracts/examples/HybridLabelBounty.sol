// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IHybridCourt} from "@tribunal/contracts/interfaces/IHybridCourt.sol";
import {LabelBounty, AsyncLabelBounty} from "./LabelBounty.sol";

/// @notice LabelBounty over the hybrid court: only the final answer is delivered, after the challenge
/// window; a lying committee majority's answer is overturned first, so this dapp acts on the honest one.
contract HybridLabelBounty is AsyncLabelBounty {
    IHybridCourt public immutable court;

    constructor(IHybridCourt court_, bytes32 modelId_, uint256 outputCount_, uint256 scaleWad_, uint256 target_,
        uint256 prize_) payable LabelBounty(modelId_, outputCount_, scaleWad_, target_, prize_) {
        court = court_;
    }

    function oracle() public view override returns (address) {
        return address(court);
    }

    function _request(bytes calldata input, uint256 fee) internal override returns (uint256) {
        return court.request{value: fee}(modelId, input, address(this), CALLBACK_GAS, 0);
    }
}
