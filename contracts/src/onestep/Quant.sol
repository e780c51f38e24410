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

    /// Round-half-up of n / d for d > 0 (runtime/quant.py: divide): q = floor(n / d), r = n - q*d,
    /// q + (r >= d - r). Solidity's / truncates toward zero, so a negative inexact quotient steps down.
    function divide(int256 n, int256 d) internal pure returns (int256 q) {
        q = n / d;
        if (n % d != 0 && n < 0) q -= 1;
        int256 r = n - q * d;
        if (r >= d - r) q += 1;
    }

    /// floor(sqrt(v)) for v >= 0 (runtime/quant.py: isqrt), by Newton's iteration from above.
    function isqrt(int256 v) internal pure returns (int256) {
        if (v < 2) return v;
        uint256 x = uint256(v);
        uint256 r = x;
        uint256 y = (x + 1) >> 1;
        while (y < r) {
            r = y;
            y = (x / y + y) >> 1;
        }
        return int256(r);
    }

    /// saturate(divide(s * m, count << k)) (runtime/quant.py: mean).
    function mean(int256 s, int256 count, int256 m, int256 k) internal pure returns (int256) {
        return saturate16(divide(s * m, count << uint256(k)));
    }

    /// The table index of a non-negative value below 2^42 (runtime/quant.py: bucket): q itself below
    /// 2048, else e * 2048 + (q >> e) with e = bitlength(q) - 11.
    function bucket(int256 q) internal pure returns (uint256) {
        uint256 v = uint256(q);
        if (v < 2048) return v;
        uint256 e = 0;
        while ((v >> e) >= 2048) e++;
        return (e << 11) + (v >> e);
    }
}
