// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ISinglePhaseBrain} from "@tribunal/contracts/interfaces/ISinglePhaseBrain.sol";
import {LabelBounty} from "./LabelBounty.sol";

/// @notice LabelBounty over single-phase BRAIN (the paper's baseline): the committee of the block the
/// request lands in signs the output root first; the asker (or a relayer) brings root and signatures to
/// `ask`, whose one transaction files the request, checks the quorum and runs this dapp's callback.
///
/// The dapp files the request itself rather than being named by a relayer's direct `requestAndRespond`:
/// the callback carries only (id, root), so a dapp named directly could not tell which model (or input)
/// the root is for, nor who asked.
contract SinglePhaseLabelBounty is LabelBounty {
    ISinglePhaseBrain public immutable brain;

    constructor(ISinglePhaseBrain brain_, bytes32 modelId_, uint256 outputCount_, uint256 scaleWad_, uint256 target_,
        uint256 prize_) payable LabelBounty(modelId_, outputCount_, scaleWad_, target_, prize_) {
        brain = brain_;
    }

    function oracle() public view override returns (address) {
        return address(brain);
    }

    /// @notice Asks for `input` (the model's request encoding) with `root`, signed by the committee of the
    /// block after `seedBlock` (this transaction must land in it); the value is the fee. The callback
    /// (`onResult`, storing the root) runs within this call; a root without a quorum of that committee's
    /// signatures reverts it (SinglePhaseBrain: SeedBlockNotParent, SignerNotInCommittee, QuorumNotReached).
    function ask(bytes calldata input, uint256 seedBlock, bytes32 root, bytes[] calldata signatures)
        external
        payable
        returns (uint256 requestId)
    {
        // The id requestAndRespond assigns: nothing runs between this read and that call. The asker is
        // recorded first because the callback comes inside the call.
        requestId = brain.nextRequestId();
        _asked(requestId);
        brain.requestAndRespond{value: msg.value}(modelId, sha256(input), seedBlock, root, address(this), CALLBACK_GAS,
            signatures);
    }
}
