"""Float programs in the dispute game: Tolerance, the jury (LocalJury, NodeTask) and post_node.

A float step ends by the jury's verdict: within the claim's tolerance the claimant wins, beyond it
the disputer wins. Games run on the zoo's digits-mlp and gpt2-tiny as float programs.
"""
from __future__ import annotations

import functools
import math
import struct
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bisection import STRATEGIES, Side, dispute, trace
from bisection.arbiter import Phase
from bisection.errors import (InvalidMove, InvalidPrestate, InvalidProof, InvalidTolerance, NoJury, StepHasKernel,
                              StepNeedsJury, WrongPhase)
from bisection.jury import VOTE_BEYOND, VOTE_WITHIN, Jury, LocalJury, NodeTask
from bisection.memory import ManualTime, MemoryArbiter
from bisection.players import Player, make_player
from bisection.tolerance import DEFAULT, EXACT, Tolerance
from runtime.model import Model
from runtime.tensor_root import tensor_bytes

from .bisection_cases import case

FAST = settings(max_examples=40, deadline=None)


@functools.lru_cache(maxsize=None)
def float_case(name: str):
    m = Model.load(name)
    prog = m.float_program(m.default_shape())
    rng = np.random.default_rng(7)
    if m.spec.dtype.kind == "f":
        x = rng.standard_normal(m.default_shape()).astype(np.float32)
    else:
        x = rng.integers(0, m.id_limit(), m.default_shape()).astype(np.int64)
    return prog, x, trace.compute(prog, x)


# ---- Tolerance ------------------------------------------------------------------------------

f32s = st.floats(width=32, allow_nan=False, allow_infinity=False, min_value=0)


@FAST
@given(a=f32s, r=f32s)
def test_tolerance_packing_round_trips(a, r):
    t = Tolerance(a, r)
    assert 0 <= t.packed < 2**64 and Tolerance.unpack(t.packed) == t and Tolerance.unpack(t.packed).packed == t.packed
    assert t.packed >> 32 == struct.unpack(">I", struct.pack(">f", a))[0]


@FAST
@given(u=st.integers(0, 2**64 - 1))
def test_tolerance_unpack_any_u64_round_trips_or_is_refused(u):
    try:
        t = Tolerance.unpack(u)
    except InvalidTolerance:
        atol, rtol = struct.unpack(">ff", u.to_bytes(8, "big"))
        assert not all(math.isfinite(v) and v >= 0 for v in (atol, rtol)) or (u >> 31) & 1 or (u >> 63) & 1
    else:
        assert t.packed == u


@FAST
@given(arr=hnp.arrays(st.sampled_from([np.float32, np.float64, np.float16]), hnp.array_shapes(min_dims=0, max_side=5)),
       a=f32s, r=f32s)
def test_tolerance_within_is_reflexive(arr, a, r):
    assert Tolerance(a, r).within(arr, arr.copy()) and EXACT.within(arr, arr.copy())  # NaN matches NaN, inf itself


@pytest.mark.parametrize("bad", [-1e-9, math.nan, math.inf, -math.inf, 1e39, True, "0.1", None])
def test_tolerance_bad_values_refused(bad):
    with pytest.raises(InvalidTolerance):
        Tolerance(bad, 0.0)
    with pytest.raises(InvalidTolerance):
        Tolerance(0.0, bad)


@pytest.mark.parametrize("bad", [-1, 2**64, 1.5, (0x7FC00000 << 32), 0x80000000])
def test_tolerance_unpack_refuses_non_u64_and_bad_bits(bad):
    with pytest.raises(InvalidTolerance):
        Tolerance.unpack(bad)


def test_tolerance_within_rule_edges():
    want = np.array([1.0, -2.0, 0.0], np.float32)
    t = Tolerance(1e-3, 1e-2)
    bound = t.bound(want)
    assert t.within((want + 0.5 * bound).astype(np.float32), want)
    assert not t.within((want + np.array([2, 0, 0]) * bound).astype(np.float32), want)
    assert t.worst(want, want) < 0 < t.worst((want + 2 * bound).astype(np.float32), want)
    nan, inf = np.float32(np.nan), np.float32(np.inf)
    assert not t.within(np.array([nan]), np.array([1.0], np.float32))
    assert not t.within(np.array([inf]), np.array([-inf]))
    assert not t.within(np.array([1.0], np.float32), np.array([nan]))
    assert not t.within(want.astype(np.float64), want) and not t.within(want[:2], want)
    assert t.within(np.array([3, 4]), np.array([3, 4])) and not t.within(np.array([3, 4]), np.array([3, 5]))
    assert EXACT.packed == 0 and DEFAULT == Tolerance(1e-5, 1e-4) and Tolerance(-0.0, 0.0).packed == 0


# ---- games on float programs ----------------------------------------------------------------

@pytest.mark.parametrize("cheater", ["defender", "challenger"])
@pytest.mark.parametrize("strategy", [s for s in STRATEGIES if s != "honest"])
def test_float_game_every_strategy_honest_side_wins(strategy, cheater):
    prog, x, _ = float_case("digits-mlp")
    r = dispute.run(prog, x, cheat=strategy, at_step=3, cheater=cheater, tolerance=EXACT)
    assert r.winner == ("challenger" if cheater == "defender" else "defender"), r.reason
    assert r.claim_status == ("rejected" if cheater == "defender" else "pending")


@pytest.mark.parametrize("cheater", ["defender", "challenger"])
@pytest.mark.parametrize("strategy", ["wrong-output", "wrong-final", "inconsistent"])
def test_float_game_gpt2_honest_side_wins_by_vote_or_proof(strategy, cheater):
    prog, x, _ = float_case("gpt2-tiny")
    r = dispute.run(prog, x, cheat=strategy, at_step=prog.steps // 2, cheater=cheater, tolerance=DEFAULT)
    assert r.winner == ("challenger" if cheater == "defender" else "defender"), r.reason


def _nudge(prog, at: int, factor: float, tol: Tolerance):
    """A tamper moving the largest element of step `at`'s output by factor x its tolerance bound."""
    def tamper(k, written, state):
        if k != at:
            return written, {}
        slot, v = next(iter(written.items()))
        v = np.array(v, copy=True)
        flat = v.reshape(-1)
        e = int(np.argmax(np.abs(flat)))
        flat[e] = np.float32(float(flat[e]) + factor * float(tol.bound(flat[e])))
        return {slot: v}, {}
    return tamper


def _defend(prog, x, honest, tamper, tol):
    arbiter = MemoryArbiter(time=ManualTime(), jury=LocalJury(prog))
    liar = Player("defender", trace.compute(prog, x, tamper))
    fair = make_player("challenger", prog, x, "honest", honest=honest)
    cid = liar.submit(arbiter, arbiter.register_model(prog), tolerance=tol)
    gid = fair.challenge(arbiter, cid)
    rejected = dispute.play(arbiter, gid, {Side.DEFENDER: liar, Side.CHALLENGER: fair})
    return arbiter, arbiter.game(gid), rejected


@pytest.mark.parametrize("factor, winner", [(0.5, Side.DEFENDER), (2.0, Side.CHALLENGER)])
def test_float_game_defender_output_within_tolerance_wins_beyond_loses(factor, winner):
    """The defender's claimed output (the last step) moved by half / twice its tolerance bound."""
    prog, x, honest = float_case("gpt2-tiny")
    n = prog.steps
    arbiter, g, rejected = _defend(prog, x, honest, _nudge(prog, n, factor, DEFAULT), DEFAULT)
    assert not rejected and g.winner is winner and "by vote" in g.reason
    assert g.position.disputed_step == n and g.claimant is Side.DEFENDER
    task = arbiter.tasks[g.id]
    assert task.tolerance == DEFAULT.packed and NodeTask.decode(task.encode(), task.model_id) == task
    assert arbiter.claim(g.claim_id).status == ("pending" if winner is Side.DEFENDER else "rejected")
    # the same nudge under an exact claim loses
    _, g, _ = _defend(prog, x, honest, _nudge(prog, n, factor, DEFAULT), EXACT)
    assert g.winner is Side.CHALLENGER


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_float_game_inner_step_nudge_judges_the_claimant_at_that_step(factor):
    """A nudge at an inner step: the game ends at that step, and the side that claims S_K there wins
    iff its own output is within tolerance. When that side is the honest challenger, a defender's
    within-tolerance deviation loses (the rule judges the claimant, not the defender)."""
    prog, x, honest = float_case("gpt2-tiny")
    for at in (prog.steps // 2, prog.steps // 2 + 1):
        arbiter, g, rejected = _defend(prog, x, honest, _nudge(prog, at, factor, DEFAULT), DEFAULT)
        assert not rejected and g.position.disputed_step == at
        claimant_honest = g.claimant is Side.CHALLENGER
        assert g.winner is (g.claimant if claimant_honest or factor < 1 else g.disputer)


def test_float_game_one_ulp_lie_stands_under_default_tolerance():
    """By design: a float claim is judged against its tolerance, and one ulp is inside the default one."""
    prog, x, _ = float_case("digits-mlp")
    r = dispute.run(prog, x, cheat="flip-lsb", at_step=3, tolerance=DEFAULT)
    assert r.winner == "defender" and "within" in r.reason


# ---- the arbiter's rules for post_node -------------------------------------------------------

def _to_output(prog, x, honest, jury, at=2):
    """A game at Phase.OUTPUT (the defender lies from step `at`); returns it with its claimant player."""
    arbiter = MemoryArbiter(time=ManualTime(), jury=jury)
    liar = make_player("defender", prog, x, "wrong-output", at_step=at, honest=honest)
    fair = make_player("challenger", prog, x, "honest", honest=honest)
    cid = liar.submit(arbiter, arbiter.register_model(prog))
    gid = fair.challenge(arbiter, cid)
    players = {Side.DEFENDER: liar, Side.CHALLENGER: fair}
    while arbiter.game(gid).phase is Phase.BISECT:
        players[arbiter.game(gid).turn].act(arbiter, gid)
    return arbiter, gid, players[arbiter.game(gid).claimant]


def _post_args(player, g):
    step, lo = g.position.disputed_step, g.position.lo
    t, prog = player.trace, player.trace.program
    node = prog.nodes[step - 1]
    ins = [(b"" if prog.slots[i].kind == "constant" else tensor_bytes(t.value(lo, i)), t.leaf(lo, i), t.proof(lo, i))
           for i in node.inputs]
    return tensor_bytes(t.value(step, node.outputs[0])), t.proof(step, node.outputs[0]), ins


def test_post_output_on_float_step_and_post_node_without_jury_refused():
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, claimant = _to_output(prog, x, honest, jury=None)
    g = arbiter.game(gid)
    with pytest.raises(StepNeedsJury):
        arbiter.post_output(gid, claimant.name, b"\0" * 32, [], [])
    with pytest.raises(NoJury):
        arbiter.post_node(gid, claimant.name, *_post_args(claimant, g))
    assert arbiter.game(gid) == g


def test_post_node_on_exact_step_refused():
    prog, x_q = case("toy")
    honest = trace.compute(prog, x_q)
    arbiter, gid, claimant = _to_output(prog, x_q, honest, jury=LocalJury(), at=1)
    g = arbiter.game(gid)
    with pytest.raises(StepHasKernel):
        arbiter.post_node(gid, claimant.name, b"", [], [])
    assert arbiter.game(gid) == g


def test_post_node_bad_moves_refused_and_change_nothing():
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, claimant = _to_output(prog, x, honest, jury=LocalJury(prog), at=3)  # a Gemm: x, W, b
    g = arbiter.game(gid)
    out, proof, ins = _post_args(claimant, g)
    const = next(j for j, i in enumerate(prog.nodes[g.position.disputed_step - 1].inputs)
                 if prog.slots[i].kind == "constant")
    value = next(j for j in range(len(ins)) if j != const)
    bad = [
        (InvalidMove, (out[:-4], proof, ins)),
        (InvalidProof, (bytes(len(out)), proof, ins)),
        (InvalidMove, (out, proof, ins[:-1])),
        (InvalidMove, (out, proof, [(b"\0" * 4, *ins[const][1:]) if j == const else a for j, a in enumerate(ins)])),
        (InvalidPrestate, (out, proof, [(a[0], bytes(32), a[2]) if j == value else a for j, a in enumerate(ins)])),
        (InvalidProof, (out, proof, [(bytes(len(a[0])), *a[1:]) if j == value else a for j, a in enumerate(ins)])),
    ]
    for err, args in bad:
        with pytest.raises(err):
            arbiter.post_node(gid, claimant.name, *args)
        assert arbiter.game(gid) == g and gid not in arbiter.tasks
    with pytest.raises(WrongPhase):
        arbiter.reveal(gid, claimant.name, [])
    assert arbiter.post_node(gid, claimant.name, out, proof, ins).winner is Side.CHALLENGER  # the honest side


class _Abstain(Jury):
    def verdict(self, task):
        return None


def test_vote_phase_waits_for_a_verdict_and_runs_no_clock():
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, claimant = _to_output(prog, x, honest, jury=_Abstain(), at=5)
    g = arbiter.post_node(gid, claimant.name, *_post_args(claimant, arbiter.game(gid)))
    assert g.phase is Phase.VOTE and g.turn is None and not g.over
    arbiter.time.advance(10 * arbiter.clock)
    with pytest.raises(WrongPhase):
        arbiter.claim_timeout(gid)
    assert arbiter.ask_jury(gid).phase is Phase.VOTE
    arbiter.jury = LocalJury(prog)
    assert arbiter.ask_jury(gid).winner is Side.CHALLENGER
    assert arbiter.balance("challenger") > 0


def test_local_jury_abstains_without_the_model_or_on_a_wrong_constant():
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, claimant = _to_output(prog, x, honest, jury=_Abstain(), at=5)  # the last step: liar claims
    assert claimant.name == "defender"
    arbiter.post_node(gid, claimant.name, *_post_args(claimant, arbiter.game(gid)))
    task = arbiter.tasks[gid]
    jury = LocalJury(prog)
    assert jury.verdict(task) is False and jury.vote(task) == VOTE_BEYOND
    assert LocalJury().verdict(task) is None
    assert jury.verdict(replace(task, model_id=bytes(32))) is None
    const = next(j for j, d in enumerate(task.inputs) if d == b"")
    leaves = list(task.input_leaves)
    leaves[const] = bytes(32)
    assert jury.verdict(replace(task, input_leaves=tuple(leaves))) is None
    # the honest output for the same step is voted within
    t = honest
    slot = prog.nodes[task.step - 1].outputs[0]
    fair = replace(task, output=tensor_bytes(t.value(task.step, slot)), output_root=t.leaf(task.step, slot))
    assert jury.vote(fair) == VOTE_WITHIN
