// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// The rule Add and Sub share (runtime/ops/add.py: linear2_np), on the two broadcast sources of
/// element `index`: saturate((a * ma + b * mb + 2^(shift-1)) >> shift), no clip before the product.
library Linear2 {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) internal pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256 a = TensorLib.at(ins[0], 0, Shape.broadcast(c, ins[0].shape));
        int256 b = TensorLib.at(ins[1], 1, Shape.broadcast(c, ins[1].shape));
        uint256 k = uint256(Descriptor.attrInt(node, "shift"));
        int256 acc = a * Descriptor.attrInt(node, "ma") + b * Descriptor.attrInt(node, "mb") + ((int256(1) << k) >> 1);
        return Quant.saturate16(acc >> k);
    }
}

/// Add (runtime/ops/add.py): inputs a, b int16 (numpy broadcasting); attrs ma, mb, shift.
contract Add is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        return Linear2.element(node, ins, index);
    }
}
