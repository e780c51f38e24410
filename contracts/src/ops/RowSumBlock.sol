// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Limbs} from "../onestep/Limbs.sol";

/// RowSumBlock (runtime/ops/rowsumblock.py): inputs x int16 [..., n], acc int16 [..., 4] (int64 sums as
/// limbs); attrs k0, k1. With x as [rows, n] (rows = acc's size / 4): element (r, l) = limb l of
/// acc[r] + sum x[r, k0:k1]. Reads x row r over k0..k1 and acc[r]'s four limbs.
contract RowSumBlock is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 r = index / 4;
        uint256 n = Shape.size(ins[0].shape) / (Shape.size(ins[1].shape) / 4);
        uint256 k0 = uint256(Descriptor.attrInt(node, "k0"));
        uint256 k1 = uint256(Descriptor.attrInt(node, "k1"));
        int256 acc = Limbs.read(ins[1], 1, r) + TensorLib.sum(ins[0], 0, r * n + k0, 1, k1 - k0);
        return Limbs.limb(acc, index % 4);
    }
}
