// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Rows} from "../onestep/Rows.sol";

/// SoftmaxExp (runtime/ops/softmaxexp.py): inputs x int16, t int16 [65536] (the exp table); attr axis.
/// e = t[((x - max + 1) >> 1) + 32768] over the element's row along the axis, 0 for an entry of -32768
/// below a larger maximum (a saturated mask). Reads the row and one table entry.
contract SoftmaxExp is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        Rows.Row memory r = Rows.row(ins[0].shape, uint256(Descriptor.attrInt(node, "axis")), index);
        int256 max = TensorLib.max(ins[0], 0, r.first, r.stride, r.len);
        int256 mine = TensorLib.at(ins[0], 0, index);
        if (mine == -32768 && max != -32768) return 0;
        return TensorLib.at(ins[1], 1, uint256(((mine - max + 1) >> 1) + 32768));
    }
}
