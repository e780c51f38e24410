// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";
import {GatherIndexOutOfRange} from "../Errors.sol";

/// Gather (runtime/ops/gather.py): inputs data int16, indices int64 (token ids or a constant); attr
/// axis. Output coordinates (a, i, b) read idx = indices[i] (idx + n when negative, n = data's length
/// on the axis), then data[a, idx, b]. An index outside [-n, n) reverts.
contract Gather is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        uint256 axis = uint256(Descriptor.attrInt(node, "axis"));
        uint256[] calldata ds = ins[0].shape;
        uint256[] calldata qs = ins[1].shape;
        uint256 i;
        for (uint256 j = 0; j < qs.length; j++) i = i * qs[j] + c[axis + j];
        int256 v = TensorLib.at(ins[1], 1, i);
        int256 n = int256(ds[axis]);
        if (v < 0) v += n;
        // INVARIANT: the index names a row of the table, as the runtime's kernels require.
        if (v < 0 || v >= n) revert GatherIndexOutOfRange(TensorLib.at(ins[1], 1, i), ds[axis]);
        uint256 flat;
        for (uint256 d = 0; d < ds.length; d++) {
            uint256 coord = d < axis ? c[d] : (d == axis ? uint256(v) : c[d - 1 + qs.length]);
            flat = flat * ds[d] + coord;
        }
        return TensorLib.at(ins[0], 0, flat);
    }
}
