// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// Mul (runtime/ops/mul.py): requantize(a * b, m, shift) on the two broadcast sources of the element.
contract Mul is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256 a = TensorLib.at(ins[0], 0, Shape.broadcast(c, ins[0].shape));
        int256 b = TensorLib.at(ins[1], 1, Shape.broadcast(c, ins[1].shape));
        return Quant.requantize(a * b, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }
}
