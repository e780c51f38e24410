// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";

/// ReduceMean (runtime/ops/reducemean.py): input x int16; attrs axes (sorted), keepdims, m, shift.
/// y = mean(S, count, m, shift) = saturate(divide(S m, count 2^shift)), S the sum of x over the axes
/// at the element's other coordinates. Reads those count elements.
contract ReduceMean is IOpKernel {
    struct Plan {
        uint256 base; // flat index of the first summed element
        uint256[] dims; // the reduced axes' lengths
        uint256[] strides; // and their strides in x
        uint256 count;
    }

    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        Plan memory p = _plan(node, ins[0].shape, index);
        int256 s = _sum(ins[0], p);
        return Quant.mean(s, int256(p.count), Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }

    function _plan(Node calldata node, uint256[] calldata shape, uint256 index) private pure returns (Plan memory p) {
        int256[] calldata axes = Descriptor.attr(node, "axes");
        bool keep = Descriptor.attrInt(node, "keepdims") != 0;
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        p.dims = new uint256[](axes.length);
        p.strides = new uint256[](axes.length);
        p.count = 1;
        uint256 stride = 1;
        uint256 ai = axes.length; // walks the (sorted) axes from the last
        uint256 ci = c.length; // walks the output coordinates from the last
        for (uint256 a = shape.length; a > 0; a--) {
            if (ai > 0 && uint256(axes[ai - 1]) == a - 1) {
                ai--;
                p.dims[ai] = shape[a - 1];
                p.strides[ai] = stride;
                p.count *= shape[a - 1];
                if (keep) ci--;
            } else {
                ci--;
                p.base += c[ci] * stride;
            }
            stride *= shape[a - 1];
        }
    }

    /// The sum over the reduced axes: the last reduced axis as one strided run per combination of the others.
    function _sum(Tensor calldata x, Plan memory p) private pure returns (int256 s) {
        uint256 n = p.dims.length;
        uint256 lastDim = p.dims[n - 1];
        uint256 lastStride = p.strides[n - 1];
        uint256 outer = p.count / lastDim;
        for (uint256 r = 0; r < outer; r++) {
            uint256 off = p.base;
            uint256 t = r;
            for (uint256 i = n - 1; i > 0; i--) {
                off += (t % p.dims[i - 1]) * p.strides[i - 1];
                t /= p.dims[i - 1];
            }
            s += TensorLib.sum(x, 0, off, lastStride, lastDim);
        }
    }
}
