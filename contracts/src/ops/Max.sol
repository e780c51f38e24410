// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// Max (runtime/ops/max.py): k int16 inputs (numpy broadcasting); attrs ms, shift. Element c is
/// saturate(the largest of (x_i[c] * ms[i] + 2^(shift-1)) >> shift over i).
contract Max is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256 best;
        for (uint256 i = 0; i < ins.length; i++) {
            int256 t = term(node, ins[i], i, c);
            if (i == 0 || t > best) best = t;
        }
        return Quant.saturate16(best);
    }

    /// Input i's element at c in the output's scale: (x * ms[i] + 2^(shift-1)) >> shift.
    function term(Node calldata node, Tensor calldata x, uint256 i, uint256[] memory c) private pure returns (int256) {
        uint256 k = uint256(Descriptor.attrInt(node, "shift"));
        return (TensorLib.at(x, i, Shape.broadcast(c, x.shape)) * Descriptor.attr(node, "ms")[i] + ((int256(1) << k) >> 1)) >> k;
    }
}
