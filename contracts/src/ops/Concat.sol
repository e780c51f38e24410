// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// Concat (runtime/ops/concat.py): k int16 inputs; attrs axis, ms, shifts. Element c lies in the
/// band of input i along the axis; it is requantize(input_i[c - offset_i], ms[i], shifts[i]).
contract Concat is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        uint256 axis = uint256(Descriptor.attrInt(node, "axis"));
        uint256 i;
        while (c[axis] >= ins[i].shape[axis]) {
            c[axis] -= ins[i].shape[axis];
            i++;
        }
        uint256[] calldata shape = ins[i].shape;
        uint256 flat;
        for (uint256 d = 0; d < c.length; d++) flat = flat * shape[d] + c[d];
        int256 v = TensorLib.at(ins[i], i, flat);
        return Quant.requantize(v, Descriptor.attr(node, "ms")[i], Descriptor.attr(node, "shifts")[i]);
    }
}
