// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Shape} from "../onestep/Shape.sol";

/// Expand (runtime/ops/expand.py): the input broadcast to the output's shape (numpy's rules);
/// element c reads the one input element broadcasting maps it to.
contract Expand is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        return TensorLib.at(ins[0], 0, Shape.broadcast(c, ins[0].shape));
    }
}
