// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Limbs} from "../onestep/Limbs.sol";

/// LayerNormStats (runtime/ops/layernormstats.py): inputs x int16 [..., row], acc int16 [..., 2, 4] (int64
/// sums as limbs); attrs k0, k1. With x as [rows, n] (rows = acc's size / 8): element (r, j, l) = limb l of
/// acc[r, j] + sum_{k0 <= k < k1} x[r, k] (j = 0) or x[r, k]^2 (j = 1). Reads x row r over k0..k1 and the
/// four limbs of acc[r, j].
contract LayerNormStats is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 e = index / 4;
        uint256 first = (e / 2) * (_size(ins[0].shape) / (_size(ins[1].shape) / 8));
        uint256 k0 = uint256(Descriptor.attrInt(node, "k0"));
        uint256 k1 = uint256(Descriptor.attrInt(node, "k1"));
        int256 acc = Limbs.read(ins[1], 1, e);
        if (e % 2 == 0) acc += TensorLib.sum(ins[0], 0, first + k0, 1, k1 - k0);
        else acc += TensorLib.dot(ins[0], first + k0, 1, ins[0], first + k0, 1, k1 - k0);
        return Limbs.limb(acc, index % 4);
    }

    function _size(uint256[] calldata shape) private pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < shape.length; i++) n *= shape[i];
    }
}
