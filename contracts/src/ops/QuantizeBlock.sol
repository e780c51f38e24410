// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IOpKernel, Node, Tensor} from "../onestep/IOpKernel.sol";
import {TensorLib} from "../onestep/Tensor.sol";
import {Descriptor} from "../onestep/Descriptor.sol";
import {Shape} from "../onestep/Shape.sol";

/// QuantizeBlock (runtime/ops/quantizeblock.py): a shard boundary as int8 per block, packed two per int16.
/// Output [blocks, block/2 + 1]: column 0 the block's shift s = max(0, bitlen(max|x|) - 7), column 1 + i
/// q[2i] * 256 + (q[2i+1] & 255) with q = clip((x + (2^s >> 1)) >> s, -128, 127). Reads the block's inputs.
contract QuantizeBlock is IOpKernel {
    function element(Node calldata node, Tensor[] calldata ins, uint256 index) external pure returns (int256) {
        uint256 block_ = uint256(Descriptor.attrInt(node, "block"));
        uint256 width = block_ / 2 + 1;
        uint256 start = (index / width) * block_;
        uint256 n = Shape.size(ins[0].shape);
        uint256 end = start + block_ < n ? start + block_ : n;
        uint256 s = _shift(ins[0], start, end);
        if (index % width == 0) return int256(s);
        uint256 i0 = start + 2 * (index % width - 1);
        return _q(ins[0], i0, end, s) * 256 + (_q(ins[0], i0 + 1, end, s) & 255);
    }

    /// max(0, bitlen(max |x|) - 7) over elements start..end-1.
    function _shift(Tensor calldata t, uint256 start, uint256 end) private pure returns (uint256) {
        TensorLib.Reader memory r = TensorLib.reader(t, 0);
        uint256 m;
        for (uint256 i = start; i < end; i++) {
            int256 v = TensorLib.get(r, t, i);
            uint256 a = uint256(v < 0 ? -v : v);
            if (a > m) m = a;
        }
        uint256 bitlen;
        while (m >> bitlen != 0) bitlen++;
        return bitlen > 7 ? bitlen - 7 : 0;
    }

    /// Element i quantized with shift s (zero past the data).
    function _q(Tensor calldata t, uint256 i, uint256 end, uint256 s) private pure returns (int256 q) {
        if (i >= end) return 0;
        q = (TensorLib.at(t, 0, i) + int256((uint256(1) << s) >> 1)) >> s; // arithmetic shift: floor
        if (q > 127) q = 127;
        if (q < -128) q = -128;
    }
}
