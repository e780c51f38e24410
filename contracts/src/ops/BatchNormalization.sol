// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Quant} from "../onestep/Quant.sol";

/// BatchNormalization left standing (runtime/ops/batchnormalization.py): inputs x int16 [N, C, ...],
/// g int16 [C], b int64 [C]; y = requantize(x * g[c] + b[c], m, shift) with c the element's channel.
contract BatchNormalization is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] calldata shape = ins[0].shape;
        uint256 inner = 1;
        for (uint256 i = 2; i < shape.length; i++) inner *= shape[i];
        uint256 c = (index / inner) % shape[1];
        int256 acc = TensorLib.at(ins[0], 0, index) * TensorLib.at(ins[1], 1, c) + TensorLib.at(ins[2], 2, c);
        return Quant.requantize(acc, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }
}
