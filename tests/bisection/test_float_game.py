"""Float programs in the dispute game: Tolerance, the jury (LocalJury, NodeTask), post_node, re-bases.

At a float step the defender posts its own step and the jury judges it three ways (contracts/README.md,
"Float steps"): beyond -> the challenger wins; exact or within at step N -> the defender wins; exact or
within earlier -> the game re-bases on the defender's step and goes on, the round charged to the side
that caused it (within: the defender's noise; exact: the side wrong about the correct value), at most
MAX_REBASES per side (one more loses the game for that side). Games run on the zoo's digits-mlp and
gpt2-tiny as float programs.
"""
from __future__ import annotations

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
from bisection.errors import (ClockNotExpired, InvalidMove, InvalidNodeInput, InvalidNodeOutput, InvalidProof,
                              InvalidTolerance, JuryNotSet, NotYourTurn, VotePending, WrongNodeKind, WrongPhase)
from bisection.jury import VOTE_BEYOND, VOTE_EXACT, VOTE_WITHIN, Jury, LocalJury, NodeTask, Verdict
from bisection.memory import ManualTime, MemoryArbiter
from bisection.players import Player, _corrupt, make_player
from bisection.types import MAX_REBASES, Position
from bisection.tolerance import DEFAULT, EXACT, Tolerance
from runtime.model import Model
from runtime.tensor_root import tensor_bytes

from .bisection_cases import case, float_case

FAST = settings(max_examples=40, deadline=None)




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

def _jury_rounds_bounded(r, steps: int) -> None:
    """Each re-base adopts a later step, at most MAX_REBASES charged to each side, and each round is one
    open/reopen, <= log2 N halvings and a post."""
    assert list(r.rebases) == sorted(set(r.rebases)) and len(r.rebases) <= min(steps - 1, 2 * MAX_REBASES)
    assert sum(r.charged) - len(r.rebases) in (0, 1) and max(r.charged) <= MAX_REBASES + 1
    assert r.moves <= (len(r.rebases) + 1) * (Position.max_moves(steps) + 2)


@pytest.mark.parametrize("tol", [EXACT, DEFAULT], ids=["exact", "default"])
@pytest.mark.parametrize("cheater", ["defender", "challenger"])
@pytest.mark.parametrize("strategy", [s for s in STRATEGIES if s != "honest"])
def test_float_game_every_strategy_honest_side_wins(strategy, cheater, tol):
    """Every lie loses to the honest side, but a defender's one-ulp flip under the default tolerance:
    that is an honest defender on other hardware, and it wins after re-basing the challenger on it."""
    prog, x, _ = float_case("digits-mlp")
    r = dispute.run(prog, x, cheat=strategy, at_step=3, cheater=cheater, tolerance=tol)
    noise = strategy == "flip-lsb" and cheater == "defender" and tol == DEFAULT
    honest_wins = "challenger" if cheater == "defender" else "defender"
    assert r.winner == ("defender" if noise else honest_wins), r.reason
    assert r.claim_status == ("rejected" if r.winner is Side.CHALLENGER else "pending")
    if noise:  # the flip at step 3 adopted, then the challenger has nothing left to dispute
        assert r.rebases == (3,) and "clock ran out" in r.reason
    _jury_rounds_bounded(r, prog.steps)


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


# ---- the arbiter's rules for post_node -------------------------------------------------------

def _to_output(prog, x, honest, jury, at=2):
    """A game at Phase.OUTPUT (the defender lies from step `at`); returns it with the player to post
    (the defender at a float step, the claimant at an exact one)."""
    arbiter = MemoryArbiter(time=ManualTime(), jury=jury)
    liar = make_player("defender", prog, x, "wrong-output", at_step=at, honest=honest)
    fair = make_player("challenger", prog, x, "honest", honest=honest)
    cid = liar.submit(arbiter, arbiter.register_model(prog))
    gid = fair.challenge(arbiter, cid)
    players = {Side.DEFENDER: liar, Side.CHALLENGER: fair}
    while arbiter.game(gid).phase is Phase.BISECT:
        players[arbiter.game(gid).turn].act(arbiter, gid)
    return arbiter, gid, players[arbiter.game(gid).turn]


def _post_args(player, g):
    step, lo = g.position.disputed_step, g.position.lo
    t, prog = player.traces(g)[0], player.trace.program
    node = prog.nodes[step - 1]
    ins = [(b"" if prog.slots[i].kind == "constant" else tensor_bytes(t.value(lo, i)), t.leaf(lo, i), t.proof(lo, i))
           for i in node.inputs]
    return tensor_bytes(t.value(step, node.outputs[0])), t.proof(step, node.outputs[0]), ins


def test_post_output_on_float_step_and_post_node_without_jury_refused():
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, claimant = _to_output(prog, x, honest, jury=None)
    g = arbiter.game(gid)
    with pytest.raises(WrongNodeKind, match="float node"):
        arbiter.post_output(gid, claimant.name, b"\0" * 32, [], [])
    with pytest.raises(JuryNotSet):
        arbiter.post_node(gid, claimant.name, *_post_args(claimant, g))
    assert arbiter.game(gid) == g


def test_post_node_on_exact_step_refused():
    prog, x_q = case("toy")
    honest = trace.compute(prog, x_q)
    arbiter, gid, claimant = _to_output(prog, x_q, honest, jury=LocalJury(), at=1)
    g = arbiter.game(gid)
    with pytest.raises(WrongNodeKind, match="one-step kernel"):
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
        (InvalidNodeOutput, (out[:-4], proof, ins)),
        (InvalidProof, (bytes(len(out)), proof, ins)),
        (InvalidNodeInput, (out, proof, ins[:-1])),
        (InvalidNodeInput, (out, proof, [(b"\0" * 4, *a[1:]) if j == const else a for j, a in enumerate(ins)])),
        (InvalidNodeInput, (out, proof, [(a[0], bytes(32), a[2]) if j == value else a for j, a in enumerate(ins)])),
        (InvalidNodeInput, (out, proof, [(bytes(len(a[0])), *a[1:]) if j == value else a for j, a in enumerate(ins)])),
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
    with pytest.raises(VotePending):
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
    assert jury.verdict(task) is Verdict.BEYOND and jury.vote(task) == VOTE_BEYOND
    assert LocalJury().verdict(task) is None
    assert jury.verdict(replace(task, model_id=bytes(32))) is None
    const = next(j for j, d in enumerate(task.inputs) if d == b"")
    leaves = list(task.input_leaves)
    leaves[const] = bytes(32)
    assert jury.verdict(replace(task, input_leaves=tuple(leaves))) is None
    # the honest output for the same step is voted exact (bitwise the recomputation), one ulp off within
    t = honest
    slot = prog.nodes[task.step - 1].outputs[0]
    fair = replace(task, output=tensor_bytes(t.value(task.step, slot)), output_root=t.leaf(task.step, slot))
    assert jury.vote(fair) == VOTE_EXACT
    noisy = trace.compute(prog, x, _changes((prog, task.step, "lsb")))
    ulp = replace(task, output=tensor_bytes(noisy.value(task.step, slot)), output_root=noisy.leaf(task.step, slot))
    assert ulp.output != fair.output and jury.vote(ulp) == VOTE_BEYOND  # the task's claim is exact
    assert jury.vote(replace(ulp, tolerance=DEFAULT.packed)) == VOTE_WITHIN
    assert jury.vote(replace(fair, tolerance=DEFAULT.packed)) == VOTE_EXACT


@FAST
@given(arr=hnp.arrays(np.float32, hnp.array_shapes(max_side=4), elements=st.floats(-1e6, 1e6, width=32)),
       a=f32s, r=st.floats(0, 1, width=32), push=st.floats(0, 3))
def test_tolerance_within_iff_worst_excess_not_positive(arr, a, r, push):
    t = Tolerance(a, r)
    got = (arr.astype(np.float64) + push * t.bound(arr)).astype(np.float32)
    assert t.within(got, arr) == (t.worst(got, arr) <= 0)
    if push <= 0.5:  # float32 rounding of got moves it by at most half an ulp of got
        exact = np.abs(got.astype(np.float64) - arr) <= t.bound(arr)
        assert t.within(got, arr) == bool(exact.all())


def test_local_jury_votes_beyond_on_non_canonical_bool_bytes():
    from onnx import TensorProto, helper

    from bisection.commitments import node_descriptor
    from runtime.float_program import FloatProgram
    from runtime.tensor_root import bytes_root, tensor_root

    g = helper.make_graph([helper.make_node("Greater", ["x", "zero"], ["pos"])], "gt",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("pos", TensorProto.BOOL, [4])],
                          [helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])])
    prog = FloatProgram.build(Model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]), "gt"), (4,))
    x = np.array([1, -1, 2, 0], np.float32)
    zero = prog.constants[prog.nodes[0].inputs[1]]
    honest = bytes([1, 0, 1, 0])
    task = NodeTask(0, 1, EXACT.packed, node_descriptor(prog, 1), (tensor_root(x), tensor_root(zero)),
                    (tensor_bytes(x), b""), bytes_root(honest), honest, LocalJury().know(prog))
    jury = LocalJury(prog)
    assert jury.verdict(task) is Verdict.EXACT
    twos = bytes([2, 0, 1, 0])  # decodes to the same bools, but is not the canonical tensor
    assert jury.verdict(replace(task, output=twos, output_root=bytes_root(twos))) is Verdict.BEYOND
    assert jury.verdict(replace(task, output=honest[:3])) is Verdict.BEYOND


# ---- re-bases (contracts/README.md, "Float steps"): the defender's step is judged, within adopts it --------

def _changes(*changes):
    """One tamper from several (step, 'lsb' | 'add') changes: 'lsb' one ulp (harmless noise under the
    default tolerance), 'add' far beyond any tolerance (a real lie)."""
    def tamper(k, written, state):
        extra = {}
        for prog, at, how in changes:
            written, more = _corrupt(prog, at, how, 0)(k, written, state)
            extra.update(more)
        return written, extra
    return tamper


def _play(prog, x, honest, tamper, tol=DEFAULT, liar="defender"):
    """A game where the `liar` side's trace is the tampered one and the other side is honest."""
    arbiter = MemoryArbiter(time=ManualTime(), jury=LocalJury(prog))
    bent = Player(liar, trace.compute(prog, x, tamper), "bent", tamper)
    fair = make_player("challenger" if liar == "defender" else "defender", prog, x, "honest", honest=honest)
    defender, challenger = (bent, fair) if liar == "defender" else (fair, bent)
    cid = defender.submit(arbiter, arbiter.register_model(prog), tolerance=tol)
    gid = challenger.challenge(arbiter, cid)
    rejected = dispute.play(arbiter, gid, {Side.DEFENDER: defender, Side.CHALLENGER: challenger})
    return arbiter, arbiter.game(gid), rejected, challenger


def _float_steps(prog):
    return [k for k in range(1, prog.steps + 1) if np.dtype(prog.slots[prog.nodes[k - 1].outputs[0]].dtype).kind == "f"]


@pytest.mark.parametrize("model, noise", [("digits-mlp", (1,)), ("digits-mlp", (1, 3)), ("digits-mlp", (2, 5)),
                                          ("gpt2-tiny", (3, 40, 83)), ("gpt2-tiny", (84,))],
                         ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else v)
def test_float_game_one_ulp_noise_defender_wins_after_rebases(model, noise):
    """An honest defender on other hardware (one ulp off at each `noise` step) against an honest
    challenger, default tolerance: one jury round per noisy step, each adopted, and the defender wins.
    Under an exact claim the first noisy step loses."""
    prog, x, honest = float_case(model)
    noise = tuple(k for k in noise if k in _float_steps(prog))
    tamper = _changes(*[(prog, k, "lsb") for k in noise])
    arbiter, g, rejected, challenger = _play(prog, x, honest, tamper)
    assert not rejected and g.winner is Side.DEFENDER and arbiter.claim(g.claim_id).status == "pending", g.reason
    last = noise[-1] == prog.steps
    assert tuple(k for k, _ in g.rebases) == (noise[:-1] if last else noise)
    # the game ends by the jury on step N when the last re-base leaves only it, else by the challenger's stall
    assert ("by vote" if noise[-1] >= prog.steps - 1 else "clock ran out") in g.reason
    # the challenger's belief now is the defender's trace: rebuilt from the rebases alone, it matches
    fresh = make_player("challenger", prog, x, "honest", honest=honest)
    assert fresh.rebased(g.rebases)[0].final_root == challenger.rebased(g.rebases)[0].final_root
    if not last:
        assert fresh.rebased(g.rebases)[0].final_root == arbiter.claim(g.claim_id).final_root
    _, g, _, _ = _play(prog, x, honest, tamper, tol=EXACT)
    assert g.winner is Side.CHALLENGER and g.rebases == () and g.position.disputed_step == noise[0]


@pytest.mark.parametrize("noise, lie", [(1, 4), (2, 3), (1, 5)])
def test_float_game_harmless_ulp_then_real_lie_loses(noise, lie):
    """A defender hides a real lie at `lie` behind a one-ulp change at `noise` < lie: the game adopts
    the harmless step, the challenger keeps looking from it, and the jury finds the lie beyond."""
    prog, x, honest = float_case("digits-mlp")
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes((prog, noise, "lsb"), (prog, lie, "add")))
    assert not rejected and g.winner is Side.CHALLENGER and "beyond" in g.reason
    assert [k for k, _ in g.rebases] == [noise] and g.position.disputed_step == lie
    assert arbiter.claim(g.claim_id).status == "rejected"


@pytest.mark.parametrize("at", range(1, 6))
def test_float_game_one_ulp_challenger_never_rejects_an_honest_claim(at):
    """A dishonest challenger one ulp off at `at`: whoever claims S_at at the end, the defender's own
    step is judged (exact: the round charged to the challenger), adopted, and the claim stands."""
    prog, x, honest = float_case("digits-mlp")
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes((prog, at, "lsb")), liar="challenger")
    assert not rejected and g.winner is Side.DEFENDER and arbiter.claim(g.claim_id).status == "pending", g.reason


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_float_game_within_change_then_beyond_change_later_honest_challenger_wins(data):
    """For every float step k of gpt2-tiny and every later step j: a within-tolerance change at k and a
    beyond-tolerance change at j -> the honest challenger wins, by the jury at j, after adopting k."""
    prog, x, honest = float_case("gpt2-tiny")
    k = data.draw(st.sampled_from([s for s in _float_steps(prog) if s < prog.steps]), "k")
    j = data.draw(st.integers(k + 1, prog.steps), "j")
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes((prog, k, "lsb"), (prog, j, "add")))
    assert not rejected and g.winner is Side.CHALLENGER, g.reason
    assert [s for s, _ in g.rebases] == [k] and g.position.disputed_step == j


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_float_game_one_ulp_challenger_at_any_step_defender_wins(data):
    """For every float step k of gpt2-tiny: a challenger one ulp off at k never gets the honest claim rejected."""
    prog, x, honest = float_case("gpt2-tiny")
    k = data.draw(st.sampled_from(_float_steps(prog)), "k")
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes((prog, k, "lsb")), liar="challenger")
    assert not rejected and g.winner is Side.DEFENDER, g.reason


def _until_rebased(prog, x, honest):
    """A game just re-based: the defender one ulp off at step 2 and lying far at step 4."""
    arbiter = MemoryArbiter(time=ManualTime(), jury=LocalJury(prog))
    tamper = _changes((prog, 2, "lsb"), (prog, 4, "add"))
    players = {Side.DEFENDER: Player("defender", trace.compute(prog, x, tamper), "bent", tamper),
               Side.CHALLENGER: make_player("challenger", prog, x, "honest", honest=honest)}
    gid = players[Side.CHALLENGER].challenge(arbiter, players[Side.DEFENDER].submit(
        arbiter, arbiter.register_model(prog), tolerance=DEFAULT))
    while not arbiter.game(gid).rebases:
        arbiter.time.advance(1.0)
        players[arbiter.game(gid).turn].act(arbiter, gid)
    return arbiter, gid, players


def test_rebase_state_and_reopen_rules():
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, players = _until_rebased(prog, x, honest)
    g = arbiter.game(gid)
    d = players[Side.DEFENDER].trace
    assert g.phase is Phase.BISECT and g.turn is Side.CHALLENGER and g.pending_root is None
    assert g.position == Position(2, prog.steps) and g.claimant is Side.DEFENDER
    assert g.root_lo == d.root(2) and g.root_hi == arbiter.claim(g.claim_id).final_root
    assert g.rebases == ((2, tensor_bytes(d.value(2, prog.nodes[1].outputs[0]))),)
    # the clocks are not refilled: the whole game, re-bases included, fits each side's one clock
    assert all(c.remaining < arbiter.clock for c in g.clocks.values()) and g.output_root is None
    assert [e["kind"] for e in g.transcript[-3:]] == ["post_node", "verdict", "rebase"]
    mid = players[Side.CHALLENGER].root_for(g.position.mid, g)
    for args, err in [(("defender", False, mid), NotYourTurn), (("challenger", True, mid), InvalidMove),
                      (("challenger", False, None), InvalidMove), (("challenger", False, b"\1" * 31), InvalidMove)]:
        with pytest.raises(err):
            arbiter.bisect(gid, *args)
        assert arbiter.game(gid) == g
    bond = arbiter.move_bond(gid)
    g2 = arbiter.bisect(gid, "challenger", False, mid)
    assert g2.pending_root == mid and g2.turn is Side.DEFENDER and g2.position == g.position
    assert g2.transcript[-1]["kind"] == "reopen" and arbiter.posted(gid)[Side.CHALLENGER] >= bond


def test_rebased_challenger_that_agrees_with_the_rest_stalls_and_loses_on_time():
    prog, x, honest = float_case("digits-mlp")
    arbiter = MemoryArbiter(time=ManualTime(), jury=LocalJury(prog))
    tamper = _changes((prog, 2, "lsb"))
    d = Player("defender", trace.compute(prog, x, tamper), "bent", tamper)
    c = make_player("challenger", prog, x, "honest", honest=honest)
    gid = c.challenge(arbiter, d.submit(arbiter, arbiter.register_model(prog), tolerance=DEFAULT))
    while not arbiter.game(gid).rebases:
        arbiter.time.advance(1.0)
        {Side.DEFENDER: d, Side.CHALLENGER: c}[arbiter.game(gid).turn].act(arbiter, gid)
    g = arbiter.game(gid)
    assert g.turn is Side.CHALLENGER and c.act(arbiter, gid) is False and arbiter.game(gid) == g
    with pytest.raises(ClockNotExpired):
        arbiter.claim_timeout(gid)
    arbiter.time.advance(arbiter.clock + 1)
    assert arbiter.claim_timeout(gid).winner is Side.DEFENDER


def test_float_output_is_the_defenders_move_even_when_the_challenger_claims():
    """Position (1, 2) with the challenger claiming S_2: the defender posts its own step 2, unlinked
    to the challenger's S_2; the challenger cannot post."""
    prog, x, honest = float_case("digits-mlp")
    arbiter, gid, poster = _to_output(prog, x, honest, LocalJury(prog), at=2)
    g = arbiter.game(gid)
    assert g.claimant is Side.CHALLENGER and g.turn is Side.DEFENDER and poster.name == "defender"
    fair = make_player("challenger", prog, x, "honest", honest=honest)
    with pytest.raises(NotYourTurn):
        arbiter.post_node(gid, "challenger", *_post_args(fair, g))
    g = arbiter.post_node(gid, "defender", *_post_args(poster, g))
    assert g.winner is Side.CHALLENGER and "beyond" in g.reason  # the liar's own step 2 is far off


def test_float_exact_step_that_the_defender_disputed_is_charged_to_the_defender():
    """Position (1, 2) with the challenger claiming the correct S_2 (the defender disputed it): the defender
    posts the correct step 2 after all, the jury votes it exact, and the round is charged to the defender
    (it disputed a correct value), not to the challenger; the game re-bases on it. A defender charged
    MAX_REBASES rounds already loses instead."""
    prog, x, honest = float_case("digits-mlp")
    for before in (0, MAX_REBASES):
        arbiter, gid, poster = _to_output(prog, x, honest, LocalJury(prog), at=2)
        arbiter.games[gid] = replace(arbiter.game(gid), charged=(before, 0))  # as after `before` noisy rounds
        g = arbiter.game(gid)
        assert g.claimant is Side.CHALLENGER and g.position.disputed_step == 2
        fair = make_player("defender", prog, x, "honest", honest=honest)
        g = arbiter.post_node(gid, "defender", *_post_args(fair, g))
        assert [e["verdict"] for e in g.transcript if e["kind"] == "verdict"] == ["exact"]
        assert g.charged == (before + 1, 0)
        if before < MAX_REBASES:
            assert not g.over and [k for k, _ in g.rebases] == [2] and g.root_lo == honest.root(2)
            assert g.transcript[-1]["charged"] == "defender"
        else:
            assert g.winner is Side.CHALLENGER and arbiter.claim(g.claim_id).status == "rejected", g.reason


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_float_game_noise_at_any_float_steps_adopted_up_to_max_rebases_then_loses(data):
    """For any set of float steps of gpt2-tiny, one ulp off at each, against an honest challenger: noise
    before step N at most MAX_REBASES times is adopted step by step (each round charged to the defender)
    and the defender wins; one more noisy step (its MAX_REBASES + 1-th charged round) loses the game for
    the defender, by vote at that step (its noise, not the challenger, would prolong the game past its budget)."""
    prog, x, honest = float_case("gpt2-tiny")
    noise = sorted(data.draw(st.sets(st.sampled_from(_float_steps(prog)), min_size=1, max_size=MAX_REBASES + 2),
                             "noise"))
    early = [k for k in noise if k < prog.steps]
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes(*[(prog, k, "lsb") for k in noise]))
    assert not rejected and len(g.rebases) <= MAX_REBASES and g.charged[1] == 0
    if len(early) <= MAX_REBASES:
        assert g.winner is Side.DEFENDER and [k for k, _ in g.rebases] == early, g.reason
    else:
        assert g.winner is Side.CHALLENGER and "by vote" in g.reason, g.reason
        assert [k for k, _ in g.rebases] == early[:MAX_REBASES] and g.position.disputed_step == early[MAX_REBASES]


@pytest.mark.parametrize("lie", [6, 84])
def test_float_game_noise_at_many_steps_then_a_real_lie_loses_within_the_round_bound(lie):
    """The attack a deadline that favours the defender would let through: harmless one-ulp noise at many
    steps (more than MAX_REBASES), then a real lie. The defender's noise is charged each round it causes and
    it runs out of its budget before the clock or the challenger does: the challenger wins, in at most
    MAX_REBASES + 1 jury rounds, charged nothing and posting no jury fee (only the defender posts nodes)."""
    prog, x, honest = float_case("gpt2-tiny")
    noisy = [k for k in _float_steps(prog) if k < lie][:MAX_REBASES + 2]
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes(*[(prog, k, "lsb") for k in noisy], (prog, lie, "add")))
    assert not rejected and g.winner is Side.CHALLENGER, g.reason
    assert arbiter.claim(g.claim_id).status == "rejected" and len(g.rebases) <= MAX_REBASES
    assert g.charged[1] == 0
    posts = [e for e in g.transcript if e["kind"] == "post_node"]
    assert len(posts) <= MAX_REBASES + 1 and all(e["side"] == Side.DEFENDER.value for e in posts)


@settings(max_examples=25, deadline=None)
@given(strategy=st.sampled_from([s for s in STRATEGIES if s != "honest"]), data=st.data())
def test_float_game_dishonest_challenger_of_an_exact_defender_pays_every_round_and_loses(strategy, data):
    """The re-base griefing attack (issue 16, finding 5): a challenger with any strategy at any step
    against an honest (bitwise) defender of gpt2-tiny: every jury round is voted exact and charged to the
    challenger (it disputed a correct value), never to the defender, and the challenger loses."""
    prog, x, _ = float_case("gpt2-tiny")
    at = data.draw(st.integers(1, prog.steps), "at")
    r = dispute.run(prog, x, cheat=strategy, at_step=at, cheater="challenger", tolerance=DEFAULT)
    assert r.winner is Side.DEFENDER and r.charged[0] == 0 and r.charged[1] >= len(r.rebases), r.reason
    assert all(e.detail["verdict"] == "exact" for e in r.transcript if e.kind == "verdict")
    _jury_rounds_bounded(r, prog.steps)


@pytest.mark.parametrize("extra", [0, 1])
def test_float_game_griefing_challenger_loses_after_its_budget(extra):
    """A challenger one ulp off the reference at MAX_REBASES + extra float steps (every one a dispute of
    the defender's exact value) against an honest exact defender: each round is charged to the challenger
    and re-based; with extra = 1 its (MAX_REBASES + 1)-th charged round loses it the game by vote, else it
    runs out of disputes and loses on time. The defender is charged nothing either way."""
    prog, x, honest = float_case("gpt2-tiny")
    noisy = [k for k in _float_steps(prog) if k < prog.steps][:MAX_REBASES + extra]
    arbiter, g, rejected, _ = _play(prog, x, honest, _changes(*[(prog, k, "lsb") for k in noisy]), liar="challenger")
    assert not rejected and g.winner is Side.DEFENDER and arbiter.claim(g.claim_id).status == "pending", g.reason
    assert [k for k, _ in g.rebases] == noisy[:MAX_REBASES] and g.charged == (0, MAX_REBASES + extra)
    assert ("by vote" if extra else "clock ran out") in g.reason
    verdicts = [e["verdict"] for e in g.transcript if e["kind"] == "verdict"]
    assert verdicts == ["exact"] * (MAX_REBASES + extra)


@pytest.mark.parametrize("watcher_noise", [1, MAX_REBASES])
def test_float_game_noisy_watcher_pays_its_noise_and_still_reaches_the_lie(watcher_noise):
    """A liar bitwise the reference except a real lie at gpt2-tiny's last float step, against an honest
    watcher one ulp off at `watcher_noise` earlier float steps: each is an exact round charged to the
    watcher and re-based on the liar's (correct) value; the watcher then reaches the lie and wins."""
    prog, x, honest = float_case("gpt2-tiny")
    fl = _float_steps(prog)
    lie, noisy = fl[-1], fl[:watcher_noise]
    arbiter = MemoryArbiter(time=ManualTime(), jury=LocalJury(prog))
    lt, wt = _changes((prog, lie, "add")), _changes(*[(prog, k, "lsb") for k in noisy])
    liar = Player("defender", trace.compute(prog, x, lt), "bent", lt)
    watcher = Player("challenger", trace.compute(prog, x, wt), "bent", wt)
    gid = watcher.challenge(arbiter, liar.submit(arbiter, arbiter.register_model(prog), tolerance=DEFAULT))
    rejected = dispute.play(arbiter, gid, {Side.DEFENDER: liar, Side.CHALLENGER: watcher})
    g = arbiter.game(gid)
    assert not rejected and g.winner is Side.CHALLENGER and g.position.disputed_step == lie, g.reason
    assert [k for k, _ in g.rebases] == noisy and g.charged == (0, watcher_noise)
    assert arbiter.claim(g.claim_id).status == "rejected"


@settings(max_examples=25, deadline=None)
@given(strategy=st.sampled_from([s for s in STRATEGIES if s != "honest"]),
       cheater=st.sampled_from(["defender", "challenger"]), data=st.data())
def test_float_game_any_strategy_any_step_default_tolerance_honest_side_wins(strategy, cheater, data):
    """gpt2-tiny under the default tolerance, any strategy at any step: the honest side wins, but a
    defender's one-ulp flip of a float step (noise, adopted); jury rounds stay below N."""
    prog, x, _ = float_case("gpt2-tiny")
    at = data.draw(st.integers(1, prog.steps), "at")
    r = dispute.run(prog, x, cheat=strategy, at_step=at, cheater=cheater, tolerance=DEFAULT)
    step = prog.steps if strategy == "wrong-final" else at
    noise = strategy == "flip-lsb" and cheater == "defender" and step in _float_steps(prog)
    assert r.winner == ("defender" if noise or cheater == "challenger" else "challenger"), r.reason
    _jury_rounds_bounded(r, prog.steps)
