// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Rows} from "../onestep/Rows.sol";

/// SoftmaxNorm (runtime/ops/softmaxnorm.py): input e int16 (entries in [0, 32767]); attr axis. With s the
/// sum of the element's row along the axis (>= 32767), y = floor((e * 32767 + floor(s / 2)) / s).
contract SoftmaxNorm is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        Rows.Row memory r = Rows.row(ins[0].shape, uint256(Descriptor.attrInt(node, "axis")), index);
        int256 sum = TensorLib.sum(ins[0], 0, r.first, r.stride, r.len);
        return (TensorLib.at(ins[0], 0, index) * 32767 + sum / 2) / sum; // all terms >= 0: / is floor
    }
}
