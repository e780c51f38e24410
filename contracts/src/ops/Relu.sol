// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";

/// Relu (runtime/ops/relu.py): max(x[i], 0) on int16; reads input element i.
contract Relu is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        int256 x = TensorLib.at(ins[0], 0, index);
        return x > 0 ? x : int256(0);
    }
}
