// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";

/// RowMaxBlock (runtime/ops/rowmaxblock.py): inputs x int16 [..., n], acc int16 [..., 1]; attrs k0, k1.
/// With x as [rows, n] (rows = acc's size): element r = max(acc[r], max x[r, k0:k1]). Reads x row r over
/// k0..k1 and acc[r].
contract RowMaxBlock is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 n = Shape.size(ins[0].shape) / Shape.size(ins[1].shape);
        uint256 k0 = uint256(Descriptor.attrInt(node, "k0"));
        uint256 k1 = uint256(Descriptor.attrInt(node, "k1"));
        int256 m = TensorLib.max(ins[0], 0, index * n + k0, 1, k1 - k0);
        int256 acc = TensorLib.at(ins[1], 1, index);
        return acc > m ? acc : m;
    }
}
