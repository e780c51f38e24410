// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Tensor} from "./IOpKernel.sol";
import {TensorLib} from "./Tensor.sol";

/// int64 partial sums held as four int16 limbs, big-endian, the top one signed (runtime/ops/gemmblock.py:
/// to_limbs): the limbs' canonical bytes are the int64's, so int16 slots carry them.
library Limbs {
    /// The int64 whose limbs are elements 4i .. 4i+3 of input `input`.
    function read(Tensor calldata t, uint256 input, uint256 i) internal pure returns (int256 v) {
        v = TensorLib.at(t, input, 4 * i);
        for (uint256 j = 1; j < 4; j++) v = (v << 16) | (TensorLib.at(t, input, 4 * i + j) & 0xFFFF);
    }

    /// Limb `limb` (0 the top) of v, as a signed int16.
    function limb(int256 v, uint256 which) internal pure returns (int256) {
        return int256(int16(uint16(uint256((v >> (16 * (3 - which))) & 0xFFFF))));
    }
}
