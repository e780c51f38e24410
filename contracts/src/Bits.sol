// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice Sets of node indices (0..255) held in one uint256: bit i set means node i is in the set.
library Bits {
    function has(uint256 set, uint256 i) internal pure returns (bool) {
        return (set >> i) & 1 == 1;
    }

    function count(uint256 set) internal pure returns (uint256 n) {
        for (; set != 0; ++n) set &= set - 1;
    }
}
