// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Quant} from "../onestep/Quant.sol";
import {Limbs} from "../onestep/Limbs.sol";

/// Requantize (runtime/ops/requantize.py): inputs acc int16 [..., N, 4] (int64 sums as limbs), p int64
/// [N, 2]. Element (m, n) = requantize(acc[m, n], p[n, 0], p[n, 1]): the end of a blocked Gemm.
contract Requantize is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 n = index % node.outputs[0].shape[node.outputs[0].shape.length - 1];
        return Quant.requantize(Limbs.read(ins[0], 0, index), TensorLib.at(ins[1], 1, 2 * n),
            TensorLib.at(ins[1], 1, 2 * n + 1));
    }
}
