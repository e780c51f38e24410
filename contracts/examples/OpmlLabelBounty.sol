// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpmlRequests} from "@tribunal/contracts/interfaces/IOpmlRequests.sol";
import {LabelBounty, AsyncLabelBounty} from "./LabelBounty.sol";

/// @notice LabelBounty over opML: the first answer final after its challenge window (or after winning
/// its games) is delivered when the request settles.
contract OpmlLabelBounty is AsyncLabelBounty {
    IOpmlRequests public immutable requests;
    uint64 public immutable deadlineBlocks; // how long an answer may take to become final

    constructor(IOpmlRequests requests_, uint64 deadlineBlocks_, bytes32 modelId_, uint256 outputCount_,
        uint256 scaleWad_, uint256 target_, uint256 prize_)
        payable
        LabelBounty(modelId_, outputCount_, scaleWad_, target_, prize_)
    {
        requests = requests_;
        deadlineBlocks = deadlineBlocks_;
    }

    function oracle() public view override returns (address) {
        return address(requests);
    }

    function _request(bytes calldata input, uint256 fee) internal override returns (uint256) {
        return requests.request{value: fee}(modelId, input, deadlineBlocks, 0, address(this), CALLBACK_GAS);
    }
}
