// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// Sum (runtime/ops/sum.py): k int16 inputs (numpy broadcasting); attrs ms, shift. Element c is
/// saturate((sum_i x_i[c] * ms[i] + 2^(shift-1)) >> shift), no clip before the products.
contract Sum is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256[] calldata ms = Descriptor.attr(node, "ms");
        uint256 k = uint256(Descriptor.attrInt(node, "shift"));
        int256 acc = (int256(1) << k) >> 1;
        for (uint256 i = 0; i < ins.length; i++) {
            acc += TensorLib.at(ins[i], i, Shape.broadcast(c, ins[i].shape)) * ms[i];
        }
        return Quant.saturate16(acc >> k);
    }
}
