// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Quant} from "../onestep/Quant.sol";

/// Neg (runtime/ops/neg.py): saturate(-x[i]) on int16 (-(-32768) = 32767); reads input element i.
contract Neg is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        return Quant.saturate16(-TensorLib.at(ins[0], 0, index));
    }
}
