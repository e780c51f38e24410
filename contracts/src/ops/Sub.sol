// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {Linear2} from "./Add.sol";

/// Sub (runtime/ops/sub.py): Add's rule with b's multiplier negated in the attrs (mb < 0).
contract Sub is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        return Linear2.element(node, ins, index);
    }
}
