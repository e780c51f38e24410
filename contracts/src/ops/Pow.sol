// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Quant} from "../onestep/Quant.sol";
import {Lookup} from "./Lookup.sol";

/// Pow (runtime/ops/pow.py): with a table input, y = t[x + 32768]; with x alone (exponent 2),
/// y = requantize(x * x, m, shift).
contract Pow is Lookup {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) public pure override returns (int256) {
        if (ins.length == 2) return super.element(node, ins, index);
        int256 x = TensorLib.at(ins[0], 0, index);
        return Quant.requantize(x * x, Descriptor.attrInt(node, "m"), Descriptor.attrInt(node, "shift"));
    }
}
