// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Quant} from "../onestep/Quant.sol";

/// LayerNormalization (runtime/ops/layernormalization.py): inputs x int16, g int16 [n], b int64 [n];
/// attrs eps, m, shift. Over the element's row of n: mu = divide(sum x, n), c = x - mu,
/// V = sum c^2, sd = max(isqrt(divide(V * 2^28, n) + eps), 1), z = divide(c_j * 2^28, sd),
/// y = requantize(z * g[j] + b[j], m, shift). One pass: sum c^2 = sum x^2 - 2 mu S + n mu^2, exactly.
/// Reads the row, g[j] and b[j].
contract LayerNormalization is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 n = _size(ins[1].shape);
        uint256 j = index % n;
        int256 z = _normalized(node, ins[0], index - j, n, j);
        int256 acc = z * TensorLib.at(ins[1], 1, j) + TensorLib.at(ins[2], 2, j);
        return Quant.requantize(acc, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }

    /// z = divide(c_j * 2^28, sd) for the row of n from flat index `first`.
    function _normalized(Node calldata node, Tensor calldata x, uint256 first, uint256 n, uint256 j)
        private
        pure
        returns (int256)
    {
        (int256 s, int256 q, int256 xj) = _sums(x, first, n, j);
        int256 sn = int256(n);
        int256 mu = Quant.divide(s, sn);
        int256 v = q - 2 * mu * s + sn * mu * mu;
        int256 sd = Quant.isqrt(Quant.divide(v << 28, sn) + Descriptor.attrInt(node, "eps"));
        if (sd < 1) sd = 1;
        return Quant.divide((xj - mu) << 28, sd);
    }

    /// (sum, sum of squares, element j) of the n elements from flat index `first`.
    function _sums(Tensor calldata x, uint256 first, uint256 n, uint256 j)
        private
        pure
        returns (int256 s, int256 q, int256 xj)
    {
        s = TensorLib.sum(x, 0, first, 1, n);
        q = TensorLib.dot(x, first, 1, x, first, 1, n);
        xj = TensorLib.at(x, 0, first + j);
    }

    function _size(uint256[] calldata shape) private pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < shape.length; i++) n *= shape[i];
    }
}
