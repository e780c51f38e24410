// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// Row-major index arithmetic on static shapes, with numpy's broadcasting.
library Shape {
    function size(uint256[] calldata shape) internal pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < shape.length; i++) n *= shape[i];
    }

    /// The coordinates of flat index `flat` in `shape`.
    function unravel(uint256[] calldata shape, uint256 flat) internal pure returns (uint256[] memory c) {
        c = new uint256[](shape.length);
        for (uint256 i = shape.length; i > 0; i--) {
            c[i - 1] = flat % shape[i - 1];
            flat /= shape[i - 1];
        }
    }

    /// The flat index in `inShape` that numpy broadcasting maps output coordinates `c` to: shapes are
    /// aligned on the right, and an input axis of length 1 (or missing) reads index 0.
    function broadcast(uint256[] memory c, uint256[] calldata inShape) internal pure returns (uint256 flat) {
        uint256 lead = c.length - inShape.length;
        for (uint256 i = 0; i < inShape.length; i++) {
            uint256 d = inShape[i];
            flat = flat * d + (d == 1 ? 0 : c[lead + i]);
        }
    }
}
