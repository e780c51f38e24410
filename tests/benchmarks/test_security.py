"""The security scenario's formulas against its simulation, and its simulated draw against the contract's."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from benchmarks.scenarios import security as sec
from contracts.bindings import NodeRegistry
from contracts.chain import connect
from contracts.deploy import BURN, ETHER

TRIALS = 20_000


def _within(sim: float, exact: float, trials: int = TRIALS) -> bool:
    # 5 sigma: a correct formula fails this about once in 3.5 million points
    return abs(sim - exact) <= 5 * sec.sigma(exact, trials)


@settings(max_examples=12)
@given(n=st.integers(8, 60), f=st.floats(0.0, 0.6), k=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_brain_formula_matches_simulated_contract_draws_within_sampling_error(n, f, k, seed):
    k = min(k, n)
    m = round(f * n)
    hits = sec.sim_brain(*sec.equal_stakes(n, m), k, TRIALS, np.random.default_rng(seed))
    assert _within(float(hits.mean()), sec.p_brain(n, m, k))


@settings(max_examples=12)
@given(w=st.integers(0, 6), p=st.floats(0.0, 1.0), o=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_opml_formula_matches_simulated_watchers_within_sampling_error(w, p, o, seed):
    miss = sec.sim_watchers_miss(w, p, o, TRIALS, np.random.default_rng(seed))
    assert _within(float(miss.mean()), sec.p_opml(w, p, o))


def test_hybrid_formula_matches_joint_simulation_within_sampling_error():
    rng = np.random.default_rng(3)
    n, m, k, w = 40, 14, 5, 1
    hits = sec.sim_brain(*sec.equal_stakes(n, m), k, TRIALS, rng) & sec.sim_watchers_miss(w, 0.6, 0.8, TRIALS, rng)
    assert _within(float(hits.mean()), sec.p_hybrid(n, m, k, w, 0.6, 0.8))


def test_formulas_at_known_points():
    assert sec.seats_needed(5) == 3 and sec.seats_needed(4) == 3 and sec.seats_needed(1) == 1
    assert sec.p_brain(10, 0, 5) == 0.0 and sec.p_brain(10, 10, 5) == 1.0
    # 2 of 4 nodes, committee of 3: the adversary needs 2 seats: C(2,2) C(2,1) / C(4,3) = 2/4
    assert math.isclose(sec.p_brain(4, 2, 3), 0.5)
    assert math.isclose(sec.p_opml(2, 0.5, 1.0), 0.25) and sec.p_opml(0, 0.9, 0.9) == 1.0
    # many nodes: the hypergeometric tail approaches the binomial one
    assert abs(sec.p_brain(100_000, 20_000, 11) - sec.p_brain_binomial(0.2, 11)) < 1e-4


def test_concentrated_stake_wins_fewer_seats_than_split_stake():
    rng = np.random.default_rng(5)
    split = sec.sim_brain(*sec.concentrated_stakes(60, 0.3, 1), 9, TRIALS, rng).mean()
    big = sec.sim_brain(*sec.concentrated_stakes(60, 0.3, 6), 9, TRIALS, rng).mean()
    assert big < split


def test_python_draw_picks_the_same_committees_as_node_registry():
    chain = connect("embedded", accounts=12)
    try:
        registry = NodeRegistry(chain, chain.deploy("NodeRegistry", ETHER, 10, ETHER // 10, BURN))
        stakes = [(1 + i % 4) * ETHER + i for i in range(10)]  # unequal stakes
        for account, stake in zip(chain.accounts[1:], stakes):
            registry.register(stake, sender=account)
        chain.mine(1)  # draws read the stakes of a finished block
        for s in range(6):
            seed = Web3.keccak(text=f"seed {s}")

            def below(j: int, remaining: int) -> int:
                return int.from_bytes(Web3.keccak(seed + j.to_bytes(32, "big")), "big") % remaining

            ours = sec.draw_committee(stakes, 5, below)
            theirs = registry.draw_committee(seed, 5)
            assert sum(1 << i for i in ours) == theirs
    finally:
        chain.close()
