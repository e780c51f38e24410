// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";

/// Unsqueeze (runtime/ops/unsqueeze.py): the input's elements in order under a shape with axes of length 1 added,
/// so output element i is input element i.
contract Unsqueeze is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        return TensorLib.at(ins[0], 0, index);
    }
}
