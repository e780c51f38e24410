// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";

/// DequantizeBlock (runtime/ops/dequantizeblock.py): element j of block b = j / block is
/// clip(q_j << s_b, int16), s_b the packed tensor's column 0 and q_j the int8 at j % block (the high byte
/// of column 1 + j/2 for even j, the low byte sign-extended for odd j). Reads two packed elements.
contract DequantizeBlock is IOpKernel {
    function element(Node calldata, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 width = ins[0].shape[ins[0].shape.length - 1];
        uint256 block_ = 2 * (width - 1);
        uint256 b = index / block_;
        uint256 i = index % block_;
        TensorLib.Reader memory r = TensorLib.reader(ins[0], 0);
        int256 s = TensorLib.get(r, ins[0], b * width);
        int256 p = TensorLib.get(r, ins[0], b * width + 1 + i / 2);
        int256 q;
        if (i % 2 == 0) {
            q = p >> 8; // arithmetic: the signed high byte
        } else {
            q = p & 255;
            if (q >= 128) q -= 256;
        }
        int256 x = q << uint256(s);
        if (x > 32767) x = 32767;
        if (x < -32768) x = -32768;
        return x;
    }
}
