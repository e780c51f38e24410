// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";

/// The table ops (runtime/ops/lookup.py): inputs x int16, t int16 [65536]; y = t[x + 32768]. Reads
/// input element i and the one table entry it indexes. Tanh, Erf, Gelu, Sigmoid, Sqrt and
/// Reciprocal are this kernel under their own op codes: their functions live in their tables.
abstract contract Lookup is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) public pure virtual returns (int256) {
        int256 x = TensorLib.at(ins[0], 0, index);
        return TensorLib.at(ins[1], 1, uint256(x + 32768));
    }
}
