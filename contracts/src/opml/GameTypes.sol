// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// The dispute game's value types, mirrored from bisection/types.py; all position math lives here.

/// @notice Level one: an interval (lo, hi] of steps, both sides agreeing on S_lo and disputing S_hi.
/// Packed as lo << 128 | hi.
type Position is uint256;

/// @notice A chess clock: blocks left to one side; it runs only while that side is to move.
type Clock is uint64;

/// @notice Level two: a node (depth, index) of the disputed output tensor's Merkle tree (depth 0 the
/// root, depth D the 1024-byte chunks). Packed as depth << 128 | index.
type TreeNode is uint256;

enum Phase {
    BISECT,
    OUTPUT,
    PICK,
    REVEAL,
    STEP,
    OVER,
    VOTE // a float step's node is posted; its jury decides (appended: the numbers above stay)
}

// Sides: DEFENDER = 1, CHALLENGER = 2; 0 is "nobody" (a game ended by its claim's rejection).
uint8 constant NOBODY = 0;
uint8 constant DEFENDER = 1;
uint8 constant CHALLENGER = 2;

function otherSide(uint8 side) pure returns (uint8) {
    return side == DEFENDER ? CHALLENGER : DEFENDER;
}

library LibPosition {
    function wrap(uint256 lo, uint256 hi) internal pure returns (Position) {
        return Position.wrap(lo << 128 | hi);
    }

    function lo(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) >> 128;
    }

    function hi(Position p) internal pure returns (uint256) {
        return uint128(Position.unwrap(p));
    }

    function mid(Position p) internal pure returns (uint256) {
        return (lo(p) + hi(p)) / 2;
    }

    function isFinal(Position p) internal pure returns (bool) {
        return hi(p) - lo(p) == 1;
    }

    /// Both sides accept the root at mid: the dispute is in (mid, hi].
    function agree(Position p) internal pure returns (Position) {
        return wrap(mid(p), hi(p));
    }

    /// The root at mid is disputed: the dispute is in (lo, mid].
    function disagree(Position p) internal pure returns (Position) {
        return wrap(lo(p), mid(p));
    }
}

library LibClock {
    function expired(Clock c, uint256 elapsed) internal pure returns (bool) {
        return elapsed > Clock.unwrap(c);
    }

    function charge(Clock c, uint256 elapsed) internal pure returns (Clock) {
        uint64 left = Clock.unwrap(c);
        return Clock.wrap(elapsed >= left ? 0 : left - uint64(elapsed));
    }
}

library LibTreeNode {
    function wrap(uint256 depth, uint256 index) internal pure returns (TreeNode) {
        return TreeNode.wrap(depth << 128 | index);
    }

    function depth(TreeNode n) internal pure returns (uint256) {
        return TreeNode.unwrap(n) >> 128;
    }

    function index(TreeNode n) internal pure returns (uint256) {
        return uint128(TreeNode.unwrap(n));
    }

    /// Levels a reveal at this node spans: `stride`, or fewer near the leaves.
    function strideBelow(TreeNode n, uint256 leafDepth, uint256 stride) internal pure returns (uint256) {
        uint256 left = leafDepth - depth(n);
        return stride < left ? stride : left;
    }

    /// The j-th descendant `below` levels down.
    function child(TreeNode n, uint256 below, uint256 j) internal pure returns (TreeNode) {
        return wrap(depth(n) + below, (index(n) << below) + j);
    }
}

using LibPosition for Position global;
using LibClock for Clock global;
using LibTreeNode for TreeNode global;
