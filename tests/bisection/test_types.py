"""Position math against plain loops; clocks; the move bound's arithmetic."""
from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from bisection.types import Clock, Position, TreeNode, ceil_log2, max_moves


def test_ceil_log2_matches_math():
    for n in range(1, 5000):
        assert ceil_log2(n) == math.ceil(math.log2(n))


def _all_paths_halvings(n: int) -> int:
    """Plain loop: the longest sequence of agree/disagree choices from (0, n) to a final interval."""
    worst, todo = 0, [(0, n, 0)]
    while todo:
        lo, hi, d = todo.pop()
        if hi - lo == 1:
            worst = max(worst, d)
            continue
        mid = (lo + hi) // 2
        todo += [(mid, hi, d + 1), (lo, mid, d + 1)]
    return worst


def test_position_max_moves_matches_plain_loop():
    for n in range(1, 130):
        assert Position.max_moves(n) == _all_paths_halvings(n)


@given(st.integers(1, 10_000), st.lists(st.booleans(), max_size=20))
@settings(max_examples=200, deadline=None)
def test_position_halves_toward_one_step(n, choices):
    pos = Position(0, n)
    for agree in choices:
        if pos.is_final:
            break
        nxt = pos.agree() if agree else pos.disagree()
        assert pos.lo <= nxt.lo < nxt.hi <= pos.hi and nxt.hi - nxt.lo <= (pos.hi - pos.lo + 1) // 2
        pos = nxt
    assert 1 <= pos.disputed_step <= n


def test_tree_node_children_match_plain_indexing():
    for depth in range(0, 7):
        for stride in (1, 2, 3):
            node, path = TreeNode(0, 0), 0
            while node.depth < depth:
                below = node.stride_below(depth, stride)
                j = (1 << below) - 1  # always the right-most
                node = node.child(below, j)
                path = (path << below) | j
            assert node == TreeNode(depth, path) and path == (1 << depth) - 1


def test_clock_charges_and_expires():
    c = Clock(10.0)
    assert not c.expired(10.0) and c.expired(10.5)
    assert c.charge(4).remaining == 6.0 and c.charge(20).remaining == 0.0


def test_max_moves_is_the_documented_bound():
    for n in range(1, 300):
        for chunks in (1, 2, 4, 8, 1024, 4096):
            assert max_moves(n, chunks, stride=2) <= ceil_log2(n) + ceil_log2(chunks) + 4
