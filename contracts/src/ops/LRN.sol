// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Quant} from "../onestep/Quant.sol";

/// LRN (runtime/ops/lrn.py): inputs x int16 [N, C, ...], t int16 [65536]; attrs size, m, shift.
/// Q = sum of x^2 over the element's channel window [c - (size-1)/2, c + ceil((size-1)/2)] inside [0, C);
/// y = requantize(x * t[bucket(Q)], m, shift). Reads the window and one table entry.
contract LRN is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        int256 q = _squares(ins[0], index, uint256(Descriptor.attrInt(node, "size")));
        int256 x = TensorLib.at(ins[0], 0, index) * TensorLib.at(ins[1], 1, Quant.bucket(q));
        return Quant.requantize(x, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }

    /// Q for output element `index`.
    function _squares(Tensor calldata x, uint256 index, uint256 size) private pure returns (int256 q) {
        uint256 inner = 1;
        for (uint256 i = 2; i < x.shape.length; i++) inner *= x.shape[i];
        uint256 c = (index / inner) % x.shape[1];
        uint256 base = index - c * inner; // the element's index at channel 0
        uint256 first = c >= (size - 1) / 2 ? c - (size - 1) / 2 : 0;
        uint256 last = c + size / 2; // ceil((size - 1) / 2) = floor(size / 2)
        if (last >= x.shape[1]) last = x.shape[1] - 1;
        TensorLib.Reader memory rx = TensorLib.reader(x, 0);
        for (uint256 i = first; i <= last; i++) {
            int256 v = TensorLib.get(rx, x, base + i * inner);
            q += v * v;
        }
    }
}
