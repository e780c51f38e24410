// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";

/// ArgMaxBlock (runtime/ops/argmaxblock.py): input x int16; attrs axis, block, offset. With n = x.shape[axis],
/// inner = the product of x's axes after it and nb = ceil(n / block), output element (q, j, t, b) of
/// [outer, nb, 2, inner] is, over the block j * block <= k < min(n, (j + 1) * block) of x[q, k, b]: its
/// largest value (t = 0) or offset + the first k holding it (t = 1). Reads that block.
contract ArgMaxBlock is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        (uint256 base, uint256 k0, uint256 count, uint256 inner) = _block(node, ins[0].shape, index);
        (int256 best, uint256 arg) = _first(ins[0], base, inner, count);
        if ((index / inner) % 2 == 0) return best;
        return int256(k0 + arg) + Descriptor.attrInt(node, "offset");
    }

    /// Where output element `index`'s block starts in x (flat), its first k, its length, and inner.
    function _block(Node calldata node, uint256[] calldata shape, uint256 index)
        private
        pure
        returns (uint256 base, uint256 k0, uint256 count, uint256 inner)
    {
        uint256 axis = uint256(Descriptor.attrInt(node, "axis"));
        uint256 block = uint256(Descriptor.attrInt(node, "block"));
        uint256 n = shape[axis];
        inner = 1;
        for (uint256 d = axis + 1; d < shape.length; d++) inner *= shape[d];
        uint256 nb = (n + block - 1) / block;
        k0 = ((index / (2 * inner)) % nb) * block;
        count = n - k0 < block ? n - k0 : block;
        base = ((index / (2 * inner * nb)) * n + k0) * inner + index % inner;
    }

    /// The largest of t[base + j * step] over j < count, and the first j holding it.
    function _first(Tensor calldata t, uint256 base, uint256 step, uint256 count)
        private
        pure
        returns (int256 best, uint256 arg)
    {
        TensorLib.Reader memory r = TensorLib.reader(t, 0);
        best = TensorLib.get(r, t, base);
        for (uint256 j = 1; j < count; j++) {
            int256 v = TensorLib.get(r, t, base + j * step);
            if (v > best) {
                best = v;
                arg = j;
            }
        }
    }
}
