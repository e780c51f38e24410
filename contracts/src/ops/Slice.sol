// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";

/// Slice (runtime/ops/slice.py; also each output of a Split): attrs starts, steps (one per axis,
/// steps may be negative). Output coordinates c read the input at starts + c * steps.
contract Slice is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256[] calldata starts = Descriptor.attr(node, "starts");
        int256[] calldata steps = Descriptor.attr(node, "steps");
        uint256[] calldata shape = ins[0].shape;
        uint256 flat;
        for (uint256 i = 0; i < c.length; i++) {
            flat = flat * shape[i] + uint256(starts[i] + int256(c[i]) * steps[i]);
        }
        return TensorLib.at(ins[0], 0, flat);
    }
}
