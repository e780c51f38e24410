// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InputOutOfRange} from "../Errors.sol";

/// @notice The input bytes of an inference request, built by a contract (README, "Requests from a
/// contract"; `verifiers.catalog.ModelEntry.encode` is the reference). Elements go in row-major order of
/// the model's (batch 1) input shape; `tribunal models register MODEL` prints the shape, dtype and scale.
///
/// - OUTPUT_ROOT, model with an exact program: the quantized input, `int16BE(q)` with q from `quantize`
///   (float inputs), or `int64BE(ids)` (token ids).
/// - OUTPUT_ROOT, float program (a model served in the fast profile): `float32BE(bits)`.
/// - ARGMAX: the model's declared dtype little-endian: `float32LE(bits)` or `int64LE(ids)`.
///
/// Floats travel as their IEEE-754 binary32 bit patterns (a uint32 each): Solidity has no floats.
library InputEncoding {
    int256 internal constant INT16_MIN = type(int16).min;
    int256 internal constant INT16_MAX = type(int16).max;

    /// @notice Quantized int16 elements, two bytes each, big-endian two's complement.
    function int16BE(int256[] memory q) internal pure returns (bytes memory) {
        return _pack(q, 2, true, INT16_MIN, INT16_MAX);
    }

    /// @notice int64 elements (token ids), eight bytes each, big-endian two's complement.
    function int64BE(int256[] memory v) internal pure returns (bytes memory) {
        return _pack(v, 8, true, type(int64).min, type(int64).max);
    }

    /// @notice int64 elements (token ids), eight bytes each, little-endian two's complement.
    function int64LE(int256[] memory v) internal pure returns (bytes memory) {
        return _pack(v, 8, false, type(int64).min, type(int64).max);
    }

    /// @notice binary32 bit patterns, four bytes each, big-endian.
    function float32BE(uint32[] memory bits) internal pure returns (bytes memory) {
        return _pack(_widen(bits), 4, true, 0, int256(uint256(type(uint32).max)));
    }

    /// @notice binary32 bit patterns, four bytes each, little-endian.
    function float32LE(uint32[] memory bits) internal pure returns (bytes memory) {
        return _pack(_widen(bits), 4, false, 0, int256(uint256(type(uint32).max)));
    }

    /// @notice The exact profile's quantization of x = num / den in units of the input's scale (so
    /// num / den = x / scale): rounded half to even and clipped to int16, as `runtime.quant.quantize`.
    /// Tribunal rounds x / scale computed in float64; this exact quotient gives the same integer except
    /// where float64 rounding moves x / scale across a half-integer. Either way the request carries the
    /// integers sent, and the verified result is for those.
    function quantize(int256 num, uint256 den) internal pure returns (int256) {
        if (den == 0 || den > uint256(type(int256).max)) revert InputOutOfRange(0, num, 1, type(int256).max);
        int256 d = int256(den);
        int256 q = num / d; // rounds toward zero
        int256 r2 = 2 * (num % d); // twice the remainder, the sign of num
        if (r2 > d || (r2 == d && q % 2 != 0)) q += 1;
        else if (r2 < -d || (r2 == -d && q % 2 != 0)) q -= 1;
        return q < INT16_MIN ? INT16_MIN : q > INT16_MAX ? INT16_MAX : q;
    }

    function _widen(uint32[] memory bits) private pure returns (int256[] memory v) {
        v = new int256[](bits.length);
        for (uint256 i; i < bits.length; ++i) v[i] = int256(uint256(bits[i]));
    }

    /// Each element as `width` bytes of two's complement, in the given byte order.
    function _pack(int256[] memory v, uint256 width, bool bigEndian, int256 lo, int256 hi)
        private
        pure
        returns (bytes memory out)
    {
        out = new bytes(v.length * width);
        uint256 shift = 256 - 8 * width;
        for (uint256 i; i < v.length; ++i) {
            // INVARIANT: an element is exactly what its bytes say (no silent wrap into another value).
            if (v[i] < lo || v[i] > hi) revert InputOutOfRange(i, v[i], lo, hi);
            uint256 u = uint256(v[i]);
            unchecked {
                uint256 at = i * width;
                if (bigEndian) {
                    // One word store: the element's bytes, then zeros that the next element (or, past the
                    // end, nothing allocated yet) overwrites; elements are written in increasing order.
                    assembly ("memory-safe") {
                        mstore(add(add(out, 32), at), shl(shift, u))
                    }
                } else {
                    for (uint256 b; b < width; ++b) {
                        assembly ("memory-safe") {
                            mstore8(add(add(out, 32), add(at, b)), shr(mul(8, b), u))
                        }
                    }
                }
            }
        }
    }
}
