"""The opML game on chain (OpmlModels, OpmlGame, the real one-step verifier) against the in-memory rules.

- equivalence: the same strategy, step, side and input played on MemoryArbiter and ChainArbiter end
  the same way (winner, disputed step, moves, rejected moves, payouts): a Hypothesis property test on
  the embedded chain, and every strategy at least once on anvil;
- soundness (DESIGN.md section 4): ends pinned (S_0 derived on chain, S_N's output slot is the claim),
  the honest side wins, moves out of turn, in the wrong phase or late revert with named errors and
  change nothing, a timed-out side loses, a claim with an open game cannot finalize, bonds move to the
  winner and nothing else moves.

One deployment per backend and module; a snapshot before each test (or Hypothesis example) and a
revert after it. Windows and clocks are a few blocks; tests mine blocks instead of sleeping.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataclasses import replace

from bisection import STRATEGIES, MemoryArbiter, Side, dispute, trace
from bisection import errors as G
from bisection.commitments import commit
from bisection.players import make_player
from contracts import errors as E
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from contracts.bindings.opml import OpmlConfig, registration
from contracts.chain import connect
from contracts.deploy import OpmlSystem, deploy_opml
from runtime import zoo
from runtime.model import Model
from runtime.tensor_root import tensor_bytes, tensor_root

CONFIG = OpmlConfig(window=40, clock=10, stride=2, callback_gas=200_000)  # bonds: the defaults (floor 1 gwei/gas)
CHEATS = [s for s in STRATEGIES if s != "honest"]
SIDES = ("defender", "challenger")
MODELS = ("toy", "digits-mlp", "digits-cnn")
FINNEY = 10**15

_MODELS: dict = {}
_CASES: dict = {}


def case(name: str, batch: int = 1, sample: int = 0):
    """(program, x_q) of a zoo model for `batch` test samples from `sample` (cached)."""
    key = (name, batch, sample)
    if key not in _CASES:
        if name not in _MODELS:
            _MODELS[name] = Model.load(name, profile="exact")
        m = _MODELS[name]
        x, _ = zoo.test_data(name)
        x_q = m.quantize_input(np.asarray(x[[(sample + i) % len(x) for i in range(batch)]]))
        _CASES[key] = (m.program(x_q.shape), x_q)
    return _CASES[key]


@pytest.fixture(scope="module", params=["embedded", pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])])
def deployed(request) -> OpmlSystem:
    chain = connect(request.param)
    request.addfinalizer(chain.close)
    return deploy_opml(chain, CONFIG)


@pytest.fixture(scope="module")
def embedded() -> OpmlSystem:
    chain = connect("embedded")
    yield deploy_opml(chain, CONFIG)
    chain.close()


@pytest.fixture
def system(deployed: OpmlSystem):
    snap = deployed.chain.snapshot()
    yield deployed
    deployed.chain.revert(snap)


def outcome(r) -> tuple:
    """What must agree between the arbiters."""
    return (r.winner, r.disputed_step, r.moves, r.chunks, r.claim_status, r.payouts,
            [(x["side"], x["phase"], x["error"]) for x in r.rejected], [m.kind for m in r.transcript])


def play_both(system: OpmlSystem, name, cheat, k, side, batch=1, sample=0, seed=0):
    program, x_q = case(name, batch, sample)
    memory = dispute.run(program, x_q, cheat, k, side, seed=seed, arbiter=MemoryArbiter(
        stride=CONFIG.stride, min_bond=CONFIG.min_bond, bond_growth=CONFIG.bond_growth))
    snap = system.chain.snapshot()
    try:
        chain = dispute.run(program, x_q, cheat, k, side, seed=seed, arbiter=ChainArbiter(system))
    finally:
        system.chain.revert(snap)
    return memory, chain


def check_same(memory, chain, side) -> None:
    honest = Side(side).other
    assert chain.winner is honest, (chain.strategy, side, chain.reason, chain.rejected)
    assert outcome(chain) == outcome(memory), (outcome(chain), outcome(memory))
    assert all(m.gas > 0 for m in chain.transcript) and chain.gas == sum(m.gas for m in chain.transcript)
    assert memory.gas is None and all(m.gas is None for m in memory.transcript)


class Setup:
    """A registered program, a claim and (optionally) a game, with the players' own traces."""

    def __init__(self, system: OpmlSystem, name="digits-mlp", cheat="wrong-output", k=2, side="defender"):
        self.s, self.chain = system, system.chain
        self.program, self.x_q = case(name)
        self.honest = trace.compute(self.program, self.x_q)
        liar = make_player(side, self.program, self.x_q, cheat, k, honest=self.honest)
        fair = make_player("honest", self.program, self.x_q, "honest", honest=self.honest)
        self.defender, self.challenger = (liar, fair) if side == "defender" else (fair, liar)
        self.defender.name, self.challenger.name = "defender", "challenger"
        self.arbiter = ChainArbiter(system)
        self.model_id = self.arbiter.register_model(self.program)

    def claim(self, bond: int | None = None) -> int:
        return self.defender.submit(self.arbiter, self.model_id, bond=bond)

    def game(self, claim_id: int, bond: int | None = None) -> int:
        return self.challenger.challenge(self.arbiter, claim_id, bond=bond)

    def players(self):
        return {Side.DEFENDER: self.defender, Side.CHALLENGER: self.challenger}


# ---------------------------------------------------------------- equivalence with the in-memory arbiter


@given(name=st.sampled_from(MODELS), cheat=st.sampled_from(CHEATS), data=st.data(), side=st.sampled_from(SIDES),
       sample=st.integers(0, 40), seed=st.integers(0, 5))
@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_property_chainAndMemory_sameOutcome(embedded, name, cheat, data, side, sample, seed):
    program, _ = case(name, 1, sample)
    k = data.draw(st.integers(1, program.steps), label="K")
    check_same(*play_both(embedded, name, cheat, k, side, sample=sample, seed=seed), side)


@pytest.mark.slow
@pytest.mark.parametrize("name,batch,k", [("digits-cnn", 8, 1), ("toy", 200, 3)])
def test_multiChunkOutput_levelTwoDescends_sameOutcome(embedded, name, batch, k):
    for side in SIDES:
        memory, chain = play_both(embedded, name, "wrong-output", k, side, batch=batch)
        check_same(memory, chain, side)
        assert chain.chunks > 1 and "pick" in [m.kind for m in chain.transcript]


@pytest.mark.anvil
@pytest.mark.slow
def test_anvil_everyStrategy_sameOutcome():
    chain = connect("anvil")
    try:
        system = deploy_opml(chain, CONFIG)
        for i, cheat in enumerate(CHEATS):
            name = MODELS[i % len(MODELS)]
            k = 1 + i % case(name)[0].steps
            for side in SIDES:
                check_same(*play_both(system, name, cheat, k, side), side)
    finally:
        chain.close()


# ---------------------------------------------------------------- ends pinned


@pytest.mark.parametrize("name,batch", [("toy", 1), ("digits-mlp", 1), ("digits-cnn", 1), ("toy", 200), ("toy", 300)])
def test_initialState_derivedOnChainFromModelAndInput(embedded, name, batch):
    program, x_q = case(name, batch)
    snap = embedded.chain.snapshot()
    try:
        arb = ChainArbiter(embedded)
        model_id = arb.register_model(program)
        info = embedded.models.model(model_id)
        assert (info.steps, info.input_slot, info.input_bytes) == (program.steps, program.input_slot, x_q.nbytes)
        assert embedded.models.initial_root(model_id, tensor_bytes(x_q)) == commit(program).initial_root(x_q)
        with pytest.raises(E.InvalidInput):
            embedded.models.initial_root(model_id, tensor_bytes(x_q)[:-2])
    finally:
        embedded.chain.revert(snap)


def test_register_badProofsOrTwice_reverts(system):
    program, _ = case("toy")
    pr, wr, reg = registration(program)
    header, hp, path, step, node, np_ = reg
    for bad in [(header[:-1] + b"\x07", hp, path, step, node, np_), (header, hp, path[::-1], step, node, np_),
                (header, hp, path, step + 1, node, np_)]:
        with pytest.raises(E.InvalidModelProof):
            system.models.register(pr, wr, bad)
    system.models.register(pr, wr, reg)
    with pytest.raises(E.ModelAlreadyRegistered):
        system.models.register(pr, wr, reg)


def test_claim_outputNotInFinalState_orLowBond_orUnknownModel_reverts(system):
    t = Setup(system)
    h, n, out = t.honest, t.program.steps, t.program.output_slots[0]
    with pytest.raises(G.InvalidClaim):
        t.arbiter.submit_claim("defender", t.model_id, t.x_q, h.root(n), b"\x01" * 32, h.proof(n, out),
                               CONFIG.min_bond)
    with pytest.raises(G.InsufficientBond):
        t.arbiter.submit_claim("defender", t.model_id, t.x_q, h.root(n), h.leaf(n, out), h.proof(n, out),
                               CONFIG.min_bond - 1)
    with pytest.raises(G.UnknownModel):
        t.arbiter.submit_claim("defender", b"\x09" * 32, t.x_q, h.root(n), h.leaf(n, out), h.proof(n, out),
                               CONFIG.min_bond)
    with pytest.raises(G.InvalidInput):
        t.arbiter.submit_claim("defender", t.model_id, t.x_q.reshape(-1)[:10], h.root(n), h.leaf(n, out),
                               h.proof(n, out), CONFIG.min_bond)
    cid = t.claim()
    cl = t.arbiter.claim(cid)
    assert cl.initial_root == h.root(0) and cl.status == "pending"


def test_claim_storesInputRootAndInputHash_readableFromChainAlone(system):
    """What links a claim to other protocols' requests, and lets an agent rebuild S_0, is on chain."""
    import hashlib

    t = Setup(system)
    cid = t.claim()
    raw = tensor_bytes(t.x_q)
    info = system.game.claim(cid)
    assert info.input_hash == hashlib.sha256(raw).digest()
    assert info.input_root == tensor_root(t.x_q) == system.models.initial_state(t.model_id, raw)[0]
    assert info.initial_root == system.models.initial_root(t.model_id, raw) == t.honest.root(0)
    assert ChainArbiter(system).claim(cid).input_root == info.input_root  # a fresh arbiter: chain state only


def test_agentRestartsMidGame_recomputesNextMoveFromChainAlone_everyRevealInLogs(system):
    """op-challenger style: a fresh arbiter (no local cache) and fresh players finish a game that others
    began; every reveal of the game, not only the last, is recovered from the logs."""
    program, x_q = case("toy", 200)  # a multi-chunk output: level two descends, several reveals
    honest = trace.compute(program, x_q)
    liar = make_player("defender", program, x_q, "wrong-output", 3, honest=honest)
    fair = make_player("challenger", program, x_q, "honest", honest=honest)
    arbiter = ChainArbiter(system)
    model_id = arbiter.register_model(program)
    cid = liar.submit(arbiter, model_id)
    gid = fair.challenge(arbiter, cid)
    players = {Side.DEFENDER: liar, Side.CHALLENGER: fair}
    while arbiter.game(gid).phase.value != "reveal":  # past the output and a first pick
        players[arbiter.game(gid).turn].act(arbiter, gid)
    restarted = ChainArbiter(system, accounts=dict(arbiter.accounts))
    assert restarted.register_model(program) == model_id  # the program, checked against OpmlModels: no tx
    fresh = {Side.DEFENDER: replace(liar, made={}), Side.CHALLENGER: replace(fair, made={})}  # no memory
    assert restarted.game(gid) == replace(arbiter.game(gid), transcript=(), reason="")
    assert dispute.play(restarted, gid, fresh) == []  # no move rejected
    assert restarted.game(gid).winner is Side.CHALLENGER
    moves = restarted.history(gid)
    kinds = [m["kind"] for m in moves]
    assert kinds[0] == "open" and kinds[-2:] == ["step", "resolved"] and kinds.count("reveal") >= 1
    assert len(moves) - 1 == restarted.game(gid).moves  # every move, and the resolution
    reveals = [m["items"] for m in moves if "items" in m]
    assert len(reveals) == kinds.count("post_output") + kinds.count("reveal") >= 2
    assert reveals[-1] == restarted.game(gid).revealed and len(reveals[-1][0]) == 1024  # the leaf chunk


# ---------------------------------------------------------------- turns, phases, clocks


def test_moveOutOfTurn_wrongPhase_outsider_reverts_andChangesNothing(system):
    t = Setup(system)
    gid = t.game(t.claim())
    before, block = t.arbiter.game(gid), t.chain.block_number
    g = before
    with pytest.raises(G.NotYourTurn) as err:  # the defender is to move first
        t.arbiter.bisect(gid, "challenger", True, b"\x02" * 32)
    assert isinstance(err.value, E.NotYourTurn) and err.value.gameId == gid
    with pytest.raises(G.NotYourTurn):
        t.arbiter.bisect(gid, "mallory", True, b"\x02" * 32)
    with pytest.raises(G.WrongPhase):
        t.arbiter.pick(gid, "defender", 0)
    with pytest.raises(G.InvalidMove):  # not final yet: a midpoint root is needed
        t.arbiter.bisect(gid, "defender", True, None)
    with pytest.raises(G.UnknownGame):
        t.arbiter.game(gid + 5)
    after = t.arbiter.game(gid)
    assert after == before == g and t.chain.block_number == block


def test_lateMove_reverts_thenTimeoutWins_forTheOtherSide(system):
    t = Setup(system)
    gid = t.game(t.claim())
    with pytest.raises(G.ClockNotExpired):
        t.arbiter.claim_timeout(gid)
    t.chain.mine(CONFIG.clock + 1)
    with pytest.raises(G.ClockTimeExceeded):
        t.defender.act(t.arbiter, gid)
    g = t.arbiter.claim_timeout(gid)
    assert g.over and g.winner is Side.CHALLENGER and "clock ran out" in g.reason
    assert t.arbiter.claim(g.claim_id).status == "rejected"
    with pytest.raises(G.GameOver):
        t.arbiter.bisect(gid, "defender", True, b"\x01" * 32)
    with pytest.raises(G.GameOver):
        t.arbiter.claim_timeout(gid)


def test_clockRunsOnlyForTheSideToMove(system):
    t = Setup(system)
    gid = t.game(t.claim())
    t.chain.mine(CONFIG.clock - 2)
    t.defender.act(t.arbiter, gid)  # in time: CONFIG.clock - 1 blocks taken
    g = t.arbiter.game(gid)
    assert g.clocks[Side.DEFENDER].remaining == 1 and g.clocks[Side.CHALLENGER].remaining == CONFIG.clock
    t.chain.mine(CONFIG.clock - 1)
    t.challenger.act(t.arbiter, gid)  # the challenger's clock was untouched by the defender's time
    assert t.arbiter.game(gid).clocks[Side.CHALLENGER].remaining == 0


# ---------------------------------------------------------------- claims and bonds


def test_claimWithOpenGame_cannotFinalize_resultOnlyOnceFinal(system):
    t = Setup(system, "toy", cheat="wrong-output", k=1, side="challenger")  # an honest claim, a lying challenger
    cid = t.claim(bond=3 * FINNEY)
    t.chain.mine(CONFIG.window - 4)
    gid = t.game(cid, bond=2 * FINNEY)  # late in the window; the game outlives it
    t.chain.mine(4)
    assert t.chain.block_number >= t.arbiter.claim(cid).created + CONFIG.window
    with pytest.raises(G.ClaimNotFinalizable):
        t.arbiter.resolve_claim(cid)
    with pytest.raises(G.ChallengeWindowClosed):
        t.arbiter.open_game(cid, "other", FINNEY, b"\x05" * 32)
    with pytest.raises(E.ClaimNotFinal):
        system.game.result(cid)
    dispute.play(t.arbiter, gid, t.players())
    assert t.arbiter.game(gid).winner is Side.DEFENDER
    r = system.game.resolve_claim(cid)
    assert r.one(ev.CallbackExecuted).success and r.one(ev.ResultReceived).result == t.honest.output_root()
    assert system.game.result(cid) == t.honest.output_root() == system.consumer.result_of(system.game.address, cid)
    g = system.game.game(gid)  # the winner took every bond of the game, then the claim's bond came back
    assert g.challenger_bond >= 2 * FINNEY and g.defender_bond >= CONFIG.min_bond
    assert t.arbiter.balance("defender") == 3 * FINNEY + g.challenger_bond + g.defender_bond
    assert t.arbiter.balance("challenger") == 0


def test_claimBeforeWindowEnds_cannotFinalize(system):
    t = Setup(system, cheat="wrong-output", side="challenger")
    cid = t.claim()
    with pytest.raises(G.ClaimNotFinalizable):
        t.arbiter.resolve_claim(cid)
    t.chain.mine(CONFIG.window)
    assert t.arbiter.resolve_claim(cid).status == "final"
    assert t.arbiter.resolve_claim(cid).status == "final"  # resolving again changes nothing
    assert t.arbiter.balance("defender") == CONFIG.min_bond


def test_bonds_winnerTakesTheGamesBonds_otherGamesClosedLazily_refunded_nothingElseMoves(system):
    t = Setup(system, cheat="wrong-output", k=3, side="defender")
    game = system.game
    cid = t.claim(bond=5 * FINNEY)
    second = make_player("second", t.program, t.x_q, "honest", honest=t.honest)
    g1 = t.game(cid, bond=2 * FINNEY)
    g2 = second.challenge(t.arbiter, cid, bond=3 * FINNEY)
    second.act(t.arbiter, g2) if t.arbiter.game(g2).turn is Side.CHALLENGER else t.defender.act(t.arbiter, g2)
    addr = {n: t.arbiter.account(n).address for n in ("defender", "challenger", "second")}
    eth_before = {n: t.chain.balance(a) for n, a in addr.items()}
    dispute.play(t.arbiter, g1, t.players())
    assert t.arbiter.game(g1).winner is Side.CHALLENGER and t.arbiter.claim(cid).status == "rejected"
    one, two = game.game(g1), game.game(g2)
    assert two.phase != "over" and game.claim(cid).open_games == 1  # untouched by the winning move
    with pytest.raises(G.GameOver):  # ... but it takes no more moves, and no timeout
        t.defender.act(t.arbiter, g2)
    t.chain.mine(CONFIG.clock + 1)
    with pytest.raises(G.GameOver):
        t.arbiter.claim_timeout(g2)
    assert game.paid(addr["challenger"]) == one.challenger_bond + one.defender_bond + 5 * FINNEY
    over = t.arbiter.close_game(g2)
    assert over.over and over.winner is None and "rejected by game" in over.reason
    assert game.claim(cid).open_games == 0
    with pytest.raises(G.GameOver):
        t.arbiter.close_game(g2)
    assert {n: game.paid(a) for n, a in addr.items()} == {
        "defender": two.defender_bond, "challenger": one.challenger_bond + one.defender_bond + 5 * FINNEY,
        "second": two.challenger_bond}
    total_in = 5 * FINNEY + one.challenger_bond + one.defender_bond + two.challenger_bond + two.defender_bond
    assert t.chain.balance(game.address) == total_in  # credited, not sent: pull payments
    fees = {}
    for n in ("challenger", "second", "defender"):
        acct = t.arbiter.account(n)
        before = t.chain.balance(acct.address)
        r = game.withdraw(sender=acct)
        fee = r.gas_used * t.chain.w3.eth.get_transaction_receipt(r.tx_hash)["effectiveGasPrice"]
        fees[n] = t.chain.balance(acct.address) - before + fee
    assert fees == {n: game.paid(a) for n, a in addr.items()}
    assert t.chain.balance(game.address) == 0
    assert t.chain.balance(addr["defender"]) < eth_before["defender"]  # it lost its claim bond
    with pytest.raises(E.NothingToClaim):
        game.withdraw(sender=t.arbiter.account("defender"))


def test_closeGame_onPendingClaim_reverts_changesNothing(system):
    t = Setup(system)
    gid = t.game(t.claim())
    before = system.game.game(gid)
    with pytest.raises(G.ClaimPending):
        t.arbiter.close_game(gid)
    assert system.game.game(gid) == before


def test_defenderWinsOneGame_andLosesAnother_toTheHonestChallenger(system):
    """A wrong claim: a challenger that stalls loses its bond to the (lying) defender on time, the claim
    stays open, and the honest challenger still refutes it and takes the defender's bond."""
    t = Setup(system, cheat="wrong-output", k=2, side="defender")
    cid = t.claim(bond=FINNEY)
    staller = make_player("staller", t.program, t.x_q, "timeout", 4, honest=t.honest)
    g_stall = staller.challenge(t.arbiter, cid, bond=FINNEY)
    dispute.play(t.arbiter, g_stall, {Side.DEFENDER: t.defender, Side.CHALLENGER: staller})
    assert t.arbiter.game(g_stall).winner is Side.DEFENDER and t.arbiter.claim(cid).status == "pending"
    g_honest = t.game(cid, bond=FINNEY)
    dispute.play(t.arbiter, g_honest, t.players())
    assert t.arbiter.game(g_honest).winner is Side.CHALLENGER and t.arbiter.claim(cid).status == "rejected"
    pot = {gid: (lambda g: g.challenger_bond + g.defender_bond)(system.game.game(gid)) for gid in (g_stall, g_honest)}
    assert t.arbiter.payouts == {"defender": pot[g_stall], "challenger": pot[g_honest] + FINNEY}


# ---------------------------------------------------------------- the CLI on chain


@pytest.mark.slow
def test_cli_dispute_onEmbeddedChain_addsGasToTheInMemoryFields(capsys):
    import json

    from verifiers.cli import main

    argv = ["dispute", "digits-mlp", "--cheat", "wrong-output", "--at-step", "3", "--json"]
    assert main(argv + ["--chain", "none"]) == 0
    memory = json.loads(capsys.readouterr().out)
    assert main(argv + ["--chain", "embedded"]) == 0
    chain = json.loads(capsys.readouterr().out)
    assert set(memory) - {"chain"} <= set(chain)
    assert (chain["winner"], chain["moves"], chain["disputed_step"]) == (memory["winner"], memory["moves"], memory["disputed_step"])
    assert chain["gas_moves"] == sum(m["gas"] for m in chain["transcript"]) < chain["gas_total"]
    assert chain["wall_seconds"] > 0 and all(m["gas"] > 0 for m in chain["transcript"])


# ---------------------------------------------------------------- the game's own one-step rule


def test_step_comparesVerifierValueWithRevealedElement_andChecksItsSlot():
    """With the TEST-ONLY oracle (it returns what its proof says), the game's side of the one-step
    check alone: a value for another output slot is rejected; an equal value lets the claimant win."""
    from eth_abi import encode

    chain = connect("embedded")
    try:
        system = deploy_opml(chain, CONFIG, verifier=chain.deploy("TestOneStepOracle"))
        t = Setup(system, "digits-mlp", cheat="wrong-output", k=2, side="defender")
        gid = t.game(t.claim())
        while t.arbiter.game(gid).phase.value != "step":
            t.players()[t.arbiter.game(gid).turn].act(t.arbiter, gid)
        g = t.arbiter.game(gid)
        slot = t.program.nodes[g.position.hi - 1].outputs[0]
        chunk = g.revealed[0]
        value = int.from_bytes(chunk[6:8], "big", signed=True)
        sender = t.arbiter.account(g.turn.value)  # the disputer
        with pytest.raises(G.InvalidProof):
            system.game.step(gid, 3, chunk, encode(["int256", "uint256"], [value, slot + 1]), sender=sender)
        with pytest.raises(G.InvalidProof):  # the chunk must be the revealed one
            system.game.step(gid, 3, bytes(1024), encode(["int256", "uint256"], [value, slot]), sender=sender)
        with pytest.raises(G.InvalidMove):
            system.game.step(gid, 512, chunk, encode(["int256", "uint256"], [value, slot]), sender=sender)
        r = system.game.step(gid, 3, chunk, encode(["int256", "uint256"], [value, slot]), sender=sender)
        assert r.one(ev.Stepped).recomputed == r.one(ev.Stepped).revealed == value
        assert t.arbiter.game(gid).winner is g.claimant  # the element agrees with the claimant's chunk
    finally:
        chain.close()
