// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";

/// Gather (runtime/ops/gather.py): inputs data int16, indices int64 (token ids or a constant); attr
/// axis. With n = data.shape[axis], inner = the product of data's axes after it and m = the number of
/// indices, output element (p * m + i) * inner + b is data[(p * n + v) * inner + b] where v =
/// indices[i] (+ n when negative), clamped to [0, n): total, as the runtime's kernels are, so every input
/// has one trace and a lie about an out-of-range id can be refuted like any other.
contract Gather is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 axis = uint256(Descriptor.attrInt(node, "axis"));
        uint256[] calldata ds = ins[0].shape;
        uint256 inner = 1;
        for (uint256 d = axis + 1; d < ds.length; d++) inner *= ds[d];
        uint256 m = Shape.size(ins[1].shape);
        uint256 i = (index / inner) % m;
        int256 v = TensorLib.at(ins[1], 1, i);
        int256 n = int256(ds[axis]);
        if (v < 0) v += n;
        // INVARIANT: the index names a row of the table: clamped exactly as the runtime's kernels clamp.
        if (v < 0) v = 0;
        if (v >= n) v = n - 1;
        uint256 p = index / (inner * m);
        return TensorLib.at(ins[0], 0, (p * uint256(n) + uint256(v)) * inner + index % inner);
    }
}
