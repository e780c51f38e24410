// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";

/// ArgMaxMerge (runtime/ops/argmaxmerge.py): input m int16 [outer, nb, 2, inner] (per block its largest value
/// and the global index of its first occurrence); attrs group, last. The winner of group g is the first
/// block j in [g * group, min(nb, (g + 1) * group)) with the largest m[q, j, 0, b]. last = 0: element
/// (q, g, t, b) of [outer, ceil(nb / group), 2, inner] is the winner's value (t = 0) or index (t = 1);
/// last = 1 (group = nb): element (q, b) is the winner's index, the chosen token. Reads the group's pairs.
contract ArgMaxMerge is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        bool last = Descriptor.attrInt(node, "last") != 0;
        (uint256 base, uint256 count, uint256 inner) = _group(node, ins[0].shape, index, last);
        TensorLib.Reader memory r = TensorLib.reader(ins[0], 0);
        int256 best = TensorLib.get(r, ins[0], base);
        uint256 arg;
        for (uint256 j = 1; j < count; j++) {
            int256 v = TensorLib.get(r, ins[0], base + 2 * j * inner);
            if (v > best) {
                best = v;
                arg = j;
            }
        }
        if (!last && (index / inner) % 2 == 0) return best;
        return TensorLib.get(r, ins[0], base + (2 * arg + 1) * inner);
    }

    /// Where output element `index`'s group starts in m (flat, its first value), its length, and inner.
    function _group(Node calldata node, uint256[] calldata shape, uint256 index, bool last)
        private
        pure
        returns (uint256 base, uint256 count, uint256 inner)
    {
        uint256 nb = shape[1];
        inner = shape[3];
        uint256 group = uint256(Descriptor.attrInt(node, "group"));
        uint256 ng = (nb + group - 1) / group;
        uint256 j0 = last ? 0 : ((index / (2 * inner)) % ng) * group;
        uint256 q = last ? index / inner : index / (2 * inner * ng);
        count = nb - j0 < group ? nb - j0 : group;
        // m[q, j, t, b] is flat ((q * nb + j) * 2 + t) * inner + b
        base = (q * nb + j0) * 2 * inner + index % inner;
    }
}
