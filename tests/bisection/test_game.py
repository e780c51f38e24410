"""The arbiter's rules: malformed moves are rejected with errors named after the condition and
leave the game unchanged; clocks, bonds, windows; several games on one claim."""
from __future__ import annotations

import pytest

from bisection import MemoryArbiter, Phase, Side, make_player, trace
from bisection.dispute import play
from bisection.errors import (ChallengeWindowClosed, ClaimNotFinalizable, ClaimPending, ClockNotExpired, ClockTimeExceeded, GameOver,
                              InsufficientBond, InvalidClaim, InvalidMove, InvalidPrestate, InvalidProof, NotYourTurn,
                              NothingToDispute, UnknownGame, UnknownModel, WrongPhase)

from bisection.types import bond_at

from .bisection_cases import case


def _setup(name="digits-mlp", cheat="wrong-output", at_step=3, batch=1, stride=2):
    program, x_q = case(name, batch)
    arb = MemoryArbiter(clock=10, window=100, min_bond=5, stride=stride)
    honest = trace.compute(program, x_q)
    d = make_player("dave", program, x_q, cheat, at_step, honest=honest)
    c = make_player("carol", program, x_q, "honest", honest=honest)
    mid = arb.register_model(program)
    claim = d.submit(arb, mid, bond=5)
    return arb, program, honest, d, c, claim


def _advance_to(arb, gid, players, phase):
    while arb.game(gid).phase is not phase:
        g = arb.game(gid)
        arb.time.advance(1)
        assert players[g.turn].act(arb, gid)


def _rejects(arb, gid, error, move):
    before = arb.game(gid)
    with pytest.raises(error):
        move()
    assert arb.game(gid) == before


def test_move_outOfTurn_raisesNotYourTurn_stateUnchanged():
    arb, program, honest, d, c, claim = _setup()
    gid = c.challenge(arb, claim, bond=5)
    g = arb.game(gid)
    assert g.turn is Side.DEFENDER
    _rejects(arb, gid, NotYourTurn, lambda: arb.bisect(gid, "carol", True, honest.root(1)))
    _rejects(arb, gid, NotYourTurn, lambda: arb.bisect(gid, "mallory", True, honest.root(1)))


def test_move_afterClockRanOut_raisesClockTimeExceeded_thenTimeoutWins():
    arb, program, honest, d, c, claim = _setup()
    gid = c.challenge(arb, claim, bond=5)
    arb.time.advance(5)
    _rejects(arb, gid, ClockNotExpired, lambda: arb.claim_timeout(gid))
    arb.time.advance(6)
    _rejects(arb, gid, ClockTimeExceeded, lambda: d.act(arb, gid))
    g = arb.claim_timeout(gid)
    assert g.winner is Side.CHALLENGER and g.over
    _rejects(arb, gid, GameOver, lambda: arb.bisect(gid, "dave", True, None))
    assert arb.balance("carol") == 10 and arb.claim(claim).status == "rejected"


def test_move_wrongPhase_raisesWrongPhase():
    arb, *_, c, claim = _setup()
    gid = c.challenge(arb, claim, bond=5)
    _rejects(arb, gid, WrongPhase, lambda: arb.pick(gid, "dave", 0))


def test_bisect_missingOrExtraMidRoot_raisesInvalidMove():
    arb, program, honest, d, c, claim = _setup()
    gid = c.challenge(arb, claim, bond=5)
    _rejects(arb, gid, InvalidMove, lambda: arb.bisect(gid, "dave", True, None))
    _rejects(arb, gid, InvalidMove, lambda: arb.bisect(gid, "dave", True, b"short"))


def test_postOutput_proofThatDoesNotVerify_raisesInvalidProof():
    arb, program, honest, d, c, claim = _setup(cheat="extra-slot", at_step=3)
    players = {Side.DEFENDER: d, Side.CHALLENGER: c}
    gid = c.challenge(arb, claim, bond=5)
    _advance_to(arb, gid, players, Phase.OUTPUT)
    g = arb.game(gid)
    assert g.position.disputed_step == 3 and g.turn is Side.DEFENDER
    with pytest.raises(InvalidProof):  # the extra slot makes S_3 differ from S_2 in two leaves
        d.act(arb, gid)
    assert arb.game(gid) == g
    slot = program.nodes[2].outputs[0]
    tree = honest.tensor(3, slot)
    # a path from the wrong state: does not fold to S_1 with the slot unwritten
    _rejects(arb, gid, InvalidPrestate, lambda: arb.post_output(gid, "dave", tree.root, honest.proof(3, 0), [tree.chunk(0)]))


def test_reveal_andStep_malformed_areRejected():
    arb, program, honest, d, c, claim = _setup(name="digits-cnn", at_step=1, batch=8)
    players = {Side.DEFENDER: d, Side.CHALLENGER: c}
    gid = c.challenge(arb, claim, bond=5)
    names = {Side.DEFENDER: "dave", Side.CHALLENGER: "carol"}
    _advance_to(arb, gid, players, Phase.PICK)
    g = arb.game(gid)
    claimant, disputer = names[g.claimant], names[g.disputer]
    _rejects(arb, gid, InvalidMove, lambda: arb.pick(gid, disputer, len(g.revealed)))
    _advance_to(arb, gid, players, Phase.REVEAL)
    g = arb.game(gid)
    _rejects(arb, gid, InvalidMove, lambda: arb.reveal(gid, claimant, [b"\0" * 31]))
    count = 1 << g.node.stride_below(g.leaf_depth, arb.stride)
    assert g.node.depth < g.leaf_depth
    _rejects(arb, gid, InvalidProof, lambda: arb.reveal(gid, claimant, [b"\1" * 32] * count))
    _advance_to(arb, gid, players, Phase.STEP)
    step, lo = arb.game(gid).position.disputed_step, arb.game(gid).position.lo
    node = program.nodes[step - 1]
    good = [(honest.value(lo, i), honest.proof(lo, i)) for i in node.inputs]
    _rejects(arb, gid, InvalidMove, lambda: arb.step(gid, disputer, 10**6, good))
    bad = list(good)
    bad[0] = (bad[0][0] + 1, bad[0][1])
    _rejects(arb, gid, InvalidPrestate, lambda: arb.step(gid, disputer, 0, bad))
    _rejects(arb, gid, InvalidMove, lambda: arb.step(gid, disputer, 0, good[:1]))
    assert players[g.disputer].act(arb, gid) and arb.game(gid).winner is Side.CHALLENGER


def test_claim_andChallenge_areChecked():
    arb, program, honest, d, c, claim = _setup()
    out = program.output_slots[0]
    n = honest.steps
    with pytest.raises(InvalidClaim):  # output root not the output slot of S_N: the end is pinned
        arb.submit_claim("dave", arb.claim(claim).model_id, honest.x_q, honest.root(n), honest.leaf(n - 1, 1),
                         honest.proof(n, out), 5)
    with pytest.raises(InsufficientBond):
        d.submit(arb, arb.claim(claim).model_id, bond=1)
    with pytest.raises(UnknownModel):
        arb.submit_claim("dave", b"\0" * 32, honest.x_q, honest.root(n), honest.leaf(n, out), honest.proof(n, out), 5)
    with pytest.raises(InsufficientBond):
        c.challenge(arb, claim, bond=1)
    with pytest.raises(UnknownGame):
        arb.game(99)


def test_honestAgainstHonest_nothingToDispute_claimFinalAfterWindow():
    program, x_q = case("toy")
    arb = MemoryArbiter(window=50)
    honest = trace.compute(program, x_q)
    d = make_player("dave", program, x_q, honest=honest)
    c = make_player("carol", program, x_q, honest=honest)
    claim = d.submit(arb, arb.register_model(program), bond=3)
    with pytest.raises(NothingToDispute):
        c.challenge(arb, claim)
    with pytest.raises(ClaimNotFinalizable):
        arb.resolve_claim(claim)
    arb.time.advance(50)
    assert arb.resolve_claim(claim).status == "final" and arb.balance("dave") == 3
    with pytest.raises(ChallengeWindowClosed):
        arb.open_game(claim, "carol", 1, honest.root(honest.steps // 2))


def test_severalGamesOnOneClaim_openGameBlocksFinality_loserPaysWinner():
    program, x_q = case("digits-mlp")
    arb = MemoryArbiter(clock=10, window=100)
    honest = trace.compute(program, x_q)
    d = make_player("dave", program, x_q, honest=honest)
    liars = [make_player(f"liar{i}", program, x_q, s, 2, honest=honest) for i, s in enumerate(["wrong-output", "random"])]
    claim = d.submit(arb, arb.register_model(program), bond=7)
    games = [liar.challenge(arb, claim, bond=4) for liar in liars]
    play(arb, games[0], {Side.DEFENDER: d, Side.CHALLENGER: liars[0]})
    arb.time.advance(200)
    with pytest.raises(ClaimNotFinalizable):  # game 1 is still open
        arb.resolve_claim(claim)
    arb.claim_timeout(games[1])  # the second liar's turn? either side: the one to move ran out
    g1 = arb.game(games[1])
    assert arb.game(games[0]).winner is Side.DEFENDER
    if g1.winner is Side.DEFENDER:
        assert arb.resolve_claim(claim).status == "final" and arb.balance("dave") == 4 + 4 + 7
    else:  # the defender was to move and timed out: the claim is rejected
        assert arb.claim(claim).status == "rejected"


def test_bondsGrowWithDepth_winnerTakesTheGamesBonds():
    program, x_q = case("digits-mlp")
    arb = MemoryArbiter(clock=10, window=100, min_bond=1000, bond_growth=12_500)
    honest = trace.compute(program, x_q)
    d = make_player("dave", program, x_q, "wrong-output", 3, honest=honest)
    c = make_player("carol", program, x_q, honest=honest)
    claim = d.submit(arb, arb.register_model(program))
    gid = c.challenge(arb, claim)
    assert [arb.move_bond(gid)] == [bond_at(1000, 12_500, 1)] == [1250]
    play(arb, gid, {Side.DEFENDER: d, Side.CHALLENGER: c})
    g = arb.game(gid)
    posted = arb.posted(gid)
    assert posted[Side.CHALLENGER] + posted[Side.DEFENDER] == sum(bond_at(1000, 12_500, k) for k in range(g.moves))
    assert g.winner is Side.CHALLENGER and arb.balance("carol") == sum(posted.values()) + 1000
    assert arb.balance("dave") == 0
    with pytest.raises(ValueError):
        MemoryArbiter(bond_growth=9_999)


def test_claimRejected_otherGamesTakeNoMoves_closeGameRefundsEachSide_pendingClaimCannotClose():
    program, x_q = case("digits-mlp")
    arb = MemoryArbiter(clock=10, window=100, min_bond=5)
    honest = trace.compute(program, x_q)
    d = make_player("dave", program, x_q, "wrong-output", 3, honest=honest)
    c = make_player("carol", program, x_q, honest=honest)
    e = make_player("erin", program, x_q, honest=honest)
    claim = d.submit(arb, arb.register_model(program))
    first, second = c.challenge(arb, claim), e.challenge(arb, claim)
    arb.time.advance(1)
    assert d.act(arb, second)  # the defender's bond is in the second game too
    with pytest.raises(ClaimPending):
        arb.close_game(second)
    play(arb, first, {Side.DEFENDER: d, Side.CHALLENGER: c})
    assert arb.claim(claim).status == "rejected" and not arb.game(second).over  # untouched: O(1)
    _rejects(arb, second, GameOver, lambda: e.act(arb, second))
    arb.time.advance(100)
    _rejects(arb, second, GameOver, lambda: arb.claim_timeout(second))
    posted = arb.posted(second)
    before = dict(arb.payouts)
    g = arb.close_game(second)
    assert g.over and g.winner is None and f"rejected by game {first}" in g.reason
    assert arb.balance("erin") - before.get("erin", 0) == posted[Side.CHALLENGER] == 5
    assert arb.balance("dave") - before.get("dave", 0) == posted[Side.DEFENDER] > 0
    with pytest.raises(GameOver):
        arb.close_game(second)
