// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Limbs} from "../onestep/Limbs.sol";
import {Quant} from "../onestep/Quant.sol";

/// LayerNormApply (runtime/ops/layernormapply.py): inputs x int16, s int16 [..., 2, 4] (the row's sum S
/// and sum of squares Q as int64 limbs), g int16 [n], b int64 [n]; attrs eps, m, shift. For element j of
/// row r: mu = divide(S, n), V = Q - 2 mu S + n mu^2, sd = max(isqrt(divide(V * 2^28, n) + eps), 1),
/// y = requantize(divide((x - mu) * 2^28, sd) * g[j] + b[j], m, shift): LayerNormalization's element.
/// Reads x's element, the row's 8 limbs, g[j] and b[j].
contract LayerNormApply is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 n = ins[2].shape[0];
        uint256 j = index % n;
        int256 z = _normalized(node, ins, index, n);
        int256 acc = z * TensorLib.at(ins[2], 2, j) + TensorLib.at(ins[3], 3, j);
        return Quant.requantize(acc, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }

    function _normalized(Node calldata node, Tensor[] calldata ins, uint256 index, uint256 n)
        private
        pure
        returns (int256)
    {
        uint256 r = index / n;
        int256 s = Limbs.read(ins[1], 1, 2 * r);
        int256 q = Limbs.read(ins[1], 1, 2 * r + 1);
        int256 sn = int256(n);
        int256 mu = Quant.divide(s, sn);
        int256 v = q - 2 * mu * s + sn * mu * mu;
        int256 sd = Quant.isqrt(Quant.divide(v << 28, sn) + Descriptor.attrInt(node, "eps"));
        if (sd < 1) sd = 1;
        return Quant.divide((TensorLib.at(ins[0], 0, index) - mu) << 28, sd);
    }
}
