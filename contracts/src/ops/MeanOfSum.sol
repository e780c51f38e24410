// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Quant} from "../onestep/Quant.sol";
import {Limbs} from "../onestep/Limbs.sol";

/// MeanOfSum (runtime/ops/meanofsum.py): input s int16 [..., 4] (each output element's sum as int64
/// limbs); attrs count, m, shift, ones. y = mean(s, count, m, shift). Reads the element's four limbs.
contract MeanOfSum is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        return Quant.mean(Limbs.read(ins[0], 0, index), Descriptor.attrInt(node, "count"), Descriptor.attrInt(node, "m"),
            Descriptor.attrInt(node, "shift"));
    }
}
