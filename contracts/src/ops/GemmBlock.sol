// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Limbs} from "../onestep/Limbs.sol";

/// GemmBlock (runtime/ops/gemmblock.py): inputs x int16 [..., K], w int8 [N, K], acc int16 [..., N, 4] or
/// [N, 4] (int64 sums as limbs); attrs k0, k1. Element (m, n, l) = limb l of
/// acc[m, n] (or acc[n]) + sum_{k0 <= k < k1} x[m, k] * w[n, k]. Reads x row m and w row n over k0..k1
/// and the four limbs of one acc element.
contract GemmBlock is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 k = ins[0].shape[ins[0].shape.length - 1];
        uint256 nOut = node.outputs[0].shape[node.outputs[0].shape.length - 2];
        uint256 e = index / 4;
        uint256 n = e % nOut;
        uint256 m = e / nOut;
        uint256 k0 = uint256(Descriptor.attrInt(node, "k0"));
        uint256 k1 = uint256(Descriptor.attrInt(node, "k1"));
        int256 acc = Limbs.read(ins[2], 2, ins[2].shape.length == 2 ? n : e);
        acc += TensorLib.dot(ins[0], m * k + k0, 1, ins[1], n * k + k0, 1, k1 - k0);
        return Limbs.limb(acc, index % 4);
    }
}
