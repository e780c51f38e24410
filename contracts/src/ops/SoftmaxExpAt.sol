// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Shape} from "../onestep/Shape.sol";

/// SoftmaxExpAt (runtime/ops/softmaxexpat.py): inputs x int16 [..., n], mx int16 [..., 1] (the row's
/// maximum), t int16 [65536] (the exp table). e = t[min(((x - mx + 1) >> 1) + 32768, 65535)], 0 for an
/// entry of -32768 below a larger mx (a saturated mask). Reads x's element, mx of its row and one entry.
contract SoftmaxExpAt is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 r = index / (Shape.size(ins[0].shape) / Shape.size(ins[1].shape));
        int256 mine = TensorLib.at(ins[0], 0, index);
        int256 max = TensorLib.at(ins[1], 1, r);
        if (mine == -32768 && max != -32768) return 0;
        int256 at = ((mine - max + 1) >> 1) + 32768;
        return TensorLib.at(ins[2], 2, uint256(at > 65535 ? int256(65535) : at));
    }
}
