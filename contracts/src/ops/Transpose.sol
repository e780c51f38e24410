// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";

/// Transpose (runtime/ops/transpose.py): attr perm. Output coordinates c read the one input element
/// at coordinates d with d[perm[i]] = c[i].
contract Transpose is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256[] memory c = Shape.unravel(node.outputs[0].shape, index);
        int256[] calldata perm = Descriptor.attr(node, "perm");
        uint256[] memory d = new uint256[](c.length);
        for (uint256 i = 0; i < c.length; i++) d[uint256(perm[i])] = c[i];
        uint256[] calldata shape = ins[0].shape;
        uint256 flat;
        for (uint256 i = 0; i < d.length; i++) flat = flat * shape[i] + d[i];
        return TensorLib.at(ins[0], 0, flat);
    }
}
