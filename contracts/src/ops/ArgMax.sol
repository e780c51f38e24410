// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";

/// ArgMax (runtime/ops/argmax.py): input x int16; attrs axis, offset, shape. With n = x.shape[axis]
/// and inner = the product of x's axes after it, output element o = q * inner + b is offset + the
/// first j in [0, n) with x[(q * n + j) * inner + b] the largest of those n elements: the chosen token.
/// Reads those n elements.
contract ArgMax is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 axis = uint256(Descriptor.attrInt(node, "axis"));
        uint256 inner = 1;
        for (uint256 d = axis + 1; d < ins[0].shape.length; d++) inner *= ins[0].shape[d];
        uint256 n = ins[0].shape[axis];
        return int256(_first(ins[0], (index / inner) * n * inner + index % inner, inner, n))
            + Descriptor.attrInt(node, "offset");
    }

    /// The first j < n with t[base + j * step] the largest.
    function _first(Tensor calldata t, uint256 base, uint256 step, uint256 n) private pure returns (uint256 arg) {
        TensorLib.Reader memory r = TensorLib.reader(t, 0);
        int256 best = TensorLib.get(r, t, base);
        for (uint256 j = 1; j < n; j++) {
            int256 v = TensorLib.get(r, t, base + j * step);
            if (v > best) {
                best = v;
                arg = j;
            }
        }
    }
}
