"""Disputes over a generation: the claim commits to the whole unrolled program (every token's
prefill/decode steps and its ArgMax choice); a lie at any token, any step of that token, is lost by
its teller, in memory (property test, both sides) and on the embedded chain (the ArgMax one-step
kernel included). The game's disputed step names the first token the parties disagree on."""
from __future__ import annotations

import bisect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bisection import MemoryArbiter, dispute
from runtime.generation.generator import Generator

N = 5


@pytest.fixture(scope="module")
def case(hf_dirs):
    g = Generator.load(hf_dirs["gpt2"])
    req = g.request("def add(a, b):", max_new_tokens=N)
    m = g.model_for(req)
    prog = m.program(req.x.shape)
    return prog, m.quantize_input(req.x), m.token_steps(prog)


def token_of(token_steps, step: int) -> int:
    """The token (0-based) whose computation step `step` belongs to: steps after token t-1's ArgMax up to token t's."""
    return bisect.bisect_left(token_steps, step)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), side=st.sampled_from(["defender", "challenger"]),
       cheat=st.sampled_from(["wrong-output", "flip-lsb", "bad-bisection"]))
def test_lieAtAnyTokenAnyStep_lostByItsTeller(case, data, side, cheat):
    prog, x_q, steps = case
    token = data.draw(st.integers(0, N - 1), label="token")
    lo = steps[token - 1] + 1 if token else 1
    k = data.draw(st.integers(lo, steps[token]), label="step")
    r = dispute.run(prog, x_q, cheat, k, side, seed=k, arbiter=MemoryArbiter())
    assert r.winner == ("challenger" if side == "defender" else "defender"), (token, k, r.reason)
    assert r.moves <= r.max_moves
    if side == "defender" and cheat in ("wrong-output", "flip-lsb") and r.disputed_step is not None:
        assert r.disputed_step == k and token_of(steps, r.disputed_step) == token


def test_changedToken_disputedAtItsArgMax_moveBoundIsLogOfTokensTimesSteps(case):
    prog, x_q, steps = case
    r = dispute.run(prog, x_q, "wrong-output", steps[2], "defender")
    assert r.winner == "challenger" and r.disputed_step == steps[2]
    assert prog.nodes[r.disputed_step - 1].op == "ArgMax"
    assert r.moves <= r.max_moves


@pytest.mark.parametrize("token,cheat,side", [(1, "wrong-output", "defender"), (N - 1, "flip-lsb", "challenger")])
def test_onEmbeddedChain_lieAtAToken_lostByItsTeller_sameAsInMemory(case, token, cheat, side):
    from contracts.arbiter import ChainArbiter
    from contracts.chain import connect
    from contracts.deploy import deploy_opml
    from tests.contracts.test_opml import CONFIG, check_same

    prog, x_q, steps = case
    k = steps[token]
    memory = dispute.run(prog, x_q, cheat, k, side, seed=k, arbiter=MemoryArbiter(
        stride=CONFIG.stride, min_bond=CONFIG.min_bond, bond_growth=CONFIG.bond_growth))
    chain = connect("embedded")
    try:
        on_chain = dispute.run(prog, x_q, cheat, k, side, seed=k, arbiter=ChainArbiter(deploy_opml(chain, CONFIG)))
    finally:
        chain.close()
    check_same(memory, on_chain, side)


@pytest.fixture(scope="module")
def wide_case(wide_dir):
    g = Generator.load(wide_dir)
    req = g.request(ids=[5, 9, 100], max_new_tokens=3)
    m = g.model_for(req)
    prog = m.program(req.x.shape)
    return prog, m.quantize_input(req.x), m.token_steps(prog)


@pytest.mark.parametrize("token,op,side", [(0, "ArgMaxBlock", "defender"), (1, "ArgMaxMerge", "challenger"),
                                           (2, "ArgMaxBlock", "challenger"), (2, "ArgMaxMerge", "defender")])
def test_gpt2Vocabulary_lieAtATokensBlockOrMergeStep_lostByItsTeller(wide_case, token, op, side):
    """GPT-2's 50257-token vocabulary: each token is chosen in two steps (block maxima, their merge);
    a lie at either is lost, and the merge is the step the token is read from."""
    prog, x_q, steps = wide_case
    assert all(prog.nodes[k - 1].op == "ArgMaxMerge" and prog.nodes[k - 2].op == "ArgMaxBlock" for k in steps)
    k = steps[token] - (op == "ArgMaxBlock")
    r = dispute.run(prog, x_q, "wrong-output", k, side, arbiter=MemoryArbiter())
    assert r.winner == ("challenger" if side == "defender" else "defender"), r.reason
    assert r.moves <= r.max_moves
    if side == "defender":
        assert r.disputed_step == k and token_of(steps, k) == token


def test_gpt2Vocabulary_lieAtAMergeStep_lostOnEmbeddedChain(wide_case):
    from contracts.arbiter import ChainArbiter
    from contracts.chain import connect
    from contracts.deploy import deploy_opml
    from tests.contracts.test_opml import CONFIG
    from tests.contracts.test_proof_fit_chain import Recording, check_bounds

    prog, x_q, steps = wide_case
    chain = connect("embedded")
    prover = Recording()
    try:
        r = dispute.run(prog, x_q, "wrong-output", steps[1], "defender",
                        arbiter=ChainArbiter(deploy_opml(chain, CONFIG), prover=prover))
    finally:
        chain.close()
    assert r.winner == "challenger" and r.disputed_step == steps[1] and r.transcript[-1].kind == "step", r.reason
    check_bounds(r, prover)
