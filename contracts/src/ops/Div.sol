// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// Div (runtime/ops/div.py): on the element's two broadcast sources a, b,
/// y = saturate(divide(sign(b) a m, |b| 2^shift)); for b = 0, 32767, -32768 or 0 by the sign of a.
contract Div is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256 a = TensorLib.at(ins[0], 0, Shape.broadcast(c, ins[0].shape));
        int256 b = TensorLib.at(ins[1], 1, Shape.broadcast(c, ins[1].shape));
        if (b == 0) return a > 0 ? int256(32767) : (a < 0 ? int256(-32768) : int256(0));
        int256 n = (b < 0 ? -a : a) * Descriptor.attrInt(node, "m");
        int256 d = (b < 0 ? -b : b) << uint256(Descriptor.attrInt(node, "shift"));
        return Quant.saturate16(Quant.divide(n, d));
    }
}
