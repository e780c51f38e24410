// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// Where (runtime/ops/where.py): inputs cond int8, x int16, y int16 (numpy broadcasting); attrs mx,
/// kx, my, ky. Element c is requantize(x, mx, kx) where cond is nonzero, else requantize(y, my, ky);
/// it reads the condition and only the branch it picks.
contract Where is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        if (TensorLib.at(ins[0], 0, Shape.broadcast(c, ins[0].shape)) != 0) {
            int256 x = TensorLib.at(ins[1], 1, Shape.broadcast(c, ins[1].shape));
            return Quant.requantize(x, Descriptor.attrInt(node, "mx"), Descriptor.attrInt(node, "kx"));
        }
        int256 y = TensorLib.at(ins[2], 2, Shape.broadcast(c, ins[2].shape));
        return Quant.requantize(y, Descriptor.attrInt(node, "my"), Descriptor.attrInt(node, "ky"));
    }
}
