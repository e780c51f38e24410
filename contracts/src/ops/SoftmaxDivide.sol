// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Shape} from "../onestep/Shape.sol";
import {Quant} from "../onestep/Quant.sol";
import {Limbs} from "../onestep/Limbs.sol";

/// SoftmaxDivide (runtime/ops/softmaxdivide.py): inputs e int16 [..., n], s int16 [..., 4] (the row's sum
/// of e as int64 limbs). y = saturate(floor((e * 32767 + floor(s / 2)) / s)), s taken as at least 1.
/// Reads e's element and its row's four limbs.
contract SoftmaxDivide is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 r = index / (Shape.size(ins[0].shape) / (Shape.size(ins[1].shape) / 4));
        int256 s = Limbs.read(ins[1], 1, r);
        if (s < 1) s = 1;
        int256 num = TensorLib.at(ins[0], 0, index) * 32767 + s / 2; // s > 0: s / 2 is floor
        int256 q = num / s;
        if (num % s != 0 && num < 0) q -= 1; // floor, as numpy's //
        return Quant.saturate16(q);
    }
}
