// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InputEncoding} from "../InputEncoding.sol";

/// @notice TEST ONLY. InputEncoding's internal functions behind external ones, for tests and gas figures.
contract TestInputEncoding {
    function int16BE(int256[] memory q) external pure returns (bytes memory) {
        return InputEncoding.int16BE(q);
    }

    function int64BE(int256[] memory v) external pure returns (bytes memory) {
        return InputEncoding.int64BE(v);
    }

    function int64LE(int256[] memory v) external pure returns (bytes memory) {
        return InputEncoding.int64LE(v);
    }

    function float32BE(uint32[] memory bits) external pure returns (bytes memory) {
        return InputEncoding.float32BE(bits);
    }

    function float32LE(uint32[] memory bits) external pure returns (bytes memory) {
        return InputEncoding.float32LE(bits);
    }

    function quantize(int256 num, uint256 den) external pure returns (int256) {
        return InputEncoding.quantize(num, den);
    }

    /// The quantized int16 request input of fixed-point values num[i] / den (already in scale units).
    function quantized(int256[] memory num, uint256 den) external pure returns (bytes memory) {
        int256[] memory q = new int256[](num.length);
        for (uint256 i; i < num.length; ++i) q[i] = InputEncoding.quantize(num[i], den);
        return InputEncoding.int16BE(q);
    }
}
