// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// The row along one axis that an output element of a row-wise op belongs to.
library Rows {
    struct Row {
        uint256 first; // flat index of the row's first element
        uint256 stride; // flat distance between neighbours along the axis
        uint256 len;
        uint256 pos; // the element's place in the row
    }

    function row(uint256[] calldata shape, uint256 axis, uint256 index) internal pure returns (Row memory r) {
        r.stride = 1;
        for (uint256 i = shape.length - 1; i > axis; i--) r.stride *= shape[i];
        r.len = shape[axis];
        r.pos = (index / r.stride) % r.len;
        r.first = index - r.pos * r.stride;
    }
}
