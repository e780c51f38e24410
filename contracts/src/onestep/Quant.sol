// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// The exact profile's one rounding rule (runtime/quant.py), in int256 so nothing overflows:
///
///     requantize(acc, M, k) = saturate(floor((clip(acc, -L, L) * M + 2^(k-1)) / 2^k))
///     L = floor(2^15 * 2^k / max(M, 1)) + 1,  2^(k-1) = 0 when k = 0
///
/// The clip is kept although int256 needs no overflow guard: results must equal the Python rule's,
/// and with M = 0 it is what makes both sides return 0. Solidity's >> on int256 floors, as numpy's does.
library Quant {
    int256 internal constant INT16_MIN = -32768;
    int256 internal constant INT16_MAX = 32767;

    function saturate16(int256 v) internal pure returns (int256) {
        return v < INT16_MIN ? INT16_MIN : (v > INT16_MAX ? INT16_MAX : v);
    }

    function requantize(int256 acc, int256 m, int256 k) internal pure returns (int256) {
        int256 lim = (int256(32768) << uint256(k)) / (m > 1 ? m : int256(1)) + 1;
        int256 a = acc < -lim ? -lim : (acc > lim ? lim : acc);
        return saturate16((a * m + ((int256(1) << uint256(k)) >> 1)) >> uint256(k));
    }
}
