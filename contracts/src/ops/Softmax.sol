// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";

/// Softmax (runtime/ops/softmax.py): inputs x int16, t int16 [65536] (the exp table); attr axis.
/// Over the element's row along the axis: j = (x - max + 1) >> 1, e = t[j + 32768],
/// y = floor((e_i * 32767 + floor(sum / 2)) / sum), with e = 0 for an entry of -32768 when the row's
/// maximum is larger (a saturated mask). Reads the row and the table entries it looks up.
contract Softmax is IOpKernel {
    struct Row {
        uint256 first; // flat index of the row's first element
        uint256 stride; // flat distance between neighbours along the axis
        uint256 len;
        uint256 pos; // the element's place in the row
    }

    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        Row memory r = _row(ins[0].shape, uint256(Descriptor.attrInt(node, "axis")), index);
        int256 max = _max(ins[0], r);
        (int256 sum, int256 mine) = _sum(ins, r, max);
        return (mine * 32767 + sum / 2) / sum; // all terms >= 0 and sum >= 32767: / is floor
    }

    function _max(Tensor calldata x, Row memory r) private pure returns (int256 max) {
        TensorLib.Reader memory rx = TensorLib.reader(x, 0);
        max = type(int256).min;
        for (uint256 i = 0; i < r.len; i++) {
            int256 v = TensorLib.get(rx, x, r.first + i * r.stride);
            if (v > max) max = v;
        }
    }

    /// (sum of the row's table entries, the element's own entry). The entry for a difference
    /// d = x - max in [-65535, 0] is t[((d + 1) >> 1) + 32768].
    function _sum(Tensor[] calldata ins, Row memory r, int256 max) private pure returns (int256 sum, int256 mine) {
        TensorLib.Reader memory rx = TensorLib.reader(ins[0], 0);
        TensorLib.Reader memory rt = TensorLib.reader(ins[1], 1);
        for (uint256 i = 0; i < r.len; i++) {
            int256 v = TensorLib.get(rx, ins[0], r.first + i * r.stride);
            // a masked entry (-32768 below a larger maximum) has weight 0 and reads no table entry
            int256 e = (v == -32768 && max != -32768) ? int256(0)
                : TensorLib.get(rt, ins[1], uint256(((v - max + 1) >> 1) + 32768));
            sum += e;
            if (i == r.pos) mine = e;
        }
    }

    function _row(uint256[] calldata shape, uint256 axis, uint256 index) private pure returns (Row memory r) {
        r.stride = 1;
        for (uint256 i = shape.length - 1; i > axis; i--) r.stride *= shape[i];
        r.len = shape[axis];
        r.pos = (index / r.stride) % r.len;
        r.first = index - r.pos * r.stride;
    }
}
