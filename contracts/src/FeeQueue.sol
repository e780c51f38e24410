// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice A max-heap of queued requests ordered by fee, then by request id (older first).
/// One slot per entry: key = fee << 64 | (2^64 - 1 - requestId).
library FeeQueue {
    struct Heap {
        uint256[] items;
    }

    function keyOf(uint256 fee, uint256 requestId) internal pure returns (uint256) {
        return (fee << 64) | (type(uint64).max - requestId);
    }

    function idOf(uint256 key) internal pure returns (uint256) {
        return type(uint64).max - uint64(key);
    }

    function size(Heap storage h) internal view returns (uint256) {
        return h.items.length;
    }

    function top(Heap storage h) internal view returns (uint256) {
        return h.items[0];
    }

    function push(Heap storage h, uint256 key) internal {
        uint256[] storage a = h.items;
        a.push(key);
        uint256 i = a.length - 1;
        while (i > 0) {
            uint256 p = (i - 1) / 2;
            uint256 pk = a[p];
            if (pk >= key) break;
            a[i] = pk;
            i = p;
        }
        a[i] = key;
    }

    function pop(Heap storage h) internal returns (uint256 key) {
        uint256[] storage a = h.items;
        key = a[0];
        uint256 last = a[a.length - 1];
        a.pop();
        uint256 n = a.length;
        if (n == 0) return key;
        uint256 i = 0;
        while (true) {
            uint256 c = 2 * i + 1;
            if (c >= n) break;
            uint256 ck = a[c];
            if (c + 1 < n) {
                uint256 rk = a[c + 1];
                if (rk > ck) (c, ck) = (c + 1, rk);
            }
            if (last >= ck) break;
            a[i] = ck;
            i = c;
        }
        a[i] = last;
    }
}
