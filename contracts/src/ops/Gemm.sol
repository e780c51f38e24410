// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Quant} from "../onestep/Quant.sol";

/// Gemm (runtime/ops/gemm.py): inputs x int16 [..., K], w int8 [N, K], b int64 [N], p int64 [N, 2].
/// Element (m, n) (m: the flat index over x's leading axes) = requantize(sum_k x[m, k] * w[n, k] + b[n],
/// p[n, 0], p[n, 1]); it reads row m of x, row n of w, b[n] and p[n]. The sum is exact in int256, as the
/// float64 GEMM is in Python. A MatMul with a constant weight lowers to this kernel too.
contract Gemm is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 k = ins[0].shape[ins[0].shape.length - 1];
        uint256 nOut = node.outputs[0].shape[node.outputs[0].shape.length - 1];
        uint256 n = index % nOut;
        uint256 m = index / nOut;
        int256 acc = TensorLib.at(ins[2], 2, n);
        acc += TensorLib.dot(ins[0], m * k, 1, ins[1], n * k, 1, k);
        return Quant.requantize(acc, TensorLib.at(ins[3], 3, 2 * n), TensorLib.at(ins[3], 3, 2 * n + 1));
    }
}
