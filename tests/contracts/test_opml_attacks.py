"""The attacks of issue 9 on the opML game, played on the embedded chain; each test fails if its attack
ever works again.

- finding 1: a liar opens a few hundred cheap games on its own wrong claim from fresh addresses and
  moves once in each; the honest challenger's winning step must still fit a block, cost what it costs
  with one game, reject the claim and pay the honest challenger;
- finding 4: a finalizer sends resolveClaim with too little gas for the consumer's callback; the claim
  must end final with the callback delivered, or not final at all;
- finding 6: 1-wei bonds, on claims, games, moves and configurations, are rejected; a challenger that
  drags an honest defender through a game and loses pays for the defender's gas.

One deployment per module (a long window, so that hundreds of games fit in it); a snapshot around each
test.
"""
from __future__ import annotations

import pytest

from bisection import Side, dispute, make_player
from bisection import errors as G
from contracts import errors as E
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from contracts.bindings.opml import OpmlConfig
from contracts.chain import connect
from contracts.deploy import deploy_opml

from .test_opml import case

CONFIG = OpmlConfig(window=1_000, clock=20, stride=2, callback_gas=200_000)
# py-evm runs about 1M gas/s and a game costs ~330k to open and move in: the embedded chain plays a few
# dozen sybil games (enough for the old settlement loop to add over a million gas), anvil the 300.
SYBIL_GAMES = {"embedded": 16, "anvil": 300}
BLOCK_GAS = 30_000_000


@pytest.fixture(scope="module")
def deployed():
    chain = connect("embedded")
    yield deploy_opml(chain, CONFIG)
    chain.close()


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])])
def crowded_system(request, deployed):
    if request.param == "embedded":
        snap = deployed.chain.snapshot()
        yield deployed
        deployed.chain.revert(snap)
        return
    chain = connect("anvil")
    try:
        yield deploy_opml(chain, CONFIG)
    finally:
        chain.close()


@pytest.fixture
def system(deployed):
    snap = deployed.chain.snapshot()
    yield deployed
    deployed.chain.revert(snap)


def players(program, x_q, liar_strategy="wrong-output", k=2):
    from bisection import trace

    honest = trace.compute(program, x_q)
    liar = make_player("liar", program, x_q, liar_strategy, k, honest=honest)
    fair = make_player("honest", program, x_q, "honest", honest=honest)
    return liar, fair


def winning_step_gas(arbiter: ChainArbiter, claim_id: int, liar, fair) -> tuple[int, int]:
    """The honest challenger opens a game on the claim and plays it out; (game id, its step's gas)."""
    gid = fair.challenge(arbiter, claim_id)
    dispute.play(arbiter, gid, {Side.DEFENDER: liar, Side.CHALLENGER: fair})
    g = arbiter.game(gid)
    assert g.winner is Side.CHALLENGER, g.reason
    return gid, next(t["gas"] for t in arbiter.gas if t["kind"] == "step" and t["game"] == gid)


# ---------------------------------------------------------------- finding 1


def test_manyCheapGames_honestWinningStep_gasIndependentOfGames_claimRejected_honestPaid(crowded_system):
    system = crowded_system
    sybil_games = SYBIL_GAMES[system.chain.kind]
    program, x_q = case("digits-mlp")
    liar, fair = players(program, x_q)
    chain, game = system.chain, system.game

    snap = chain.snapshot()
    arbiter = ChainArbiter(system)
    _, alone = winning_step_gas(arbiter, liar.submit(arbiter, arbiter.register_model(program)), liar, fair)
    chain.revert(snap)

    arbiter = ChainArbiter(system)
    cid = liar.submit(arbiter, arbiter.register_model(program))
    liar_account = arbiter.account("liar")
    sybils = [a for a in chain.accounts[12:] if a.address != liar_account.address]  # never used before
    first = game.game_count()
    fns = game.contract.functions
    sent = []
    for i in range(sybil_games):  # a cheap game from a fresh address, and the liar's one move in it
        sent.append(chain.transact(fns.openGame(cid, bytes([1 + i % 250]) * 32), sender=sybils[i % len(sybils)],
                                   value=CONFIG.min_bond, gas=600_000, wait=False))
        sent.append(chain.transact(fns.bisect(first + i, True, bytes([2 + i % 250]) * 32), sender=liar_account,
                                   value=CONFIG.bond_at(1), gas=300_000, wait=False))
    for tx in sent:  # each mined in its own block, in the order sent
        chain.wait_for(tx)
    assert game.claim(cid).open_games == sybil_games
    assert all(game.game(first + i).moves == 2 for i in (0, sybil_games // 2, sybil_games - 1))

    gid, crowded = winning_step_gas(arbiter, cid, liar, fair)
    assert crowded < BLOCK_GAS // 10
    assert abs(crowded - alone) <= 200, (alone, crowded)  # calldata of a larger game id at most
    claim = game.claim(cid)
    assert claim.status == "rejected" and claim.open_games == sybil_games
    g = game.game(gid)
    assert game.paid(arbiter.account("honest").address) == g.challenger_bond + g.defender_bond + claim.bond
    # The sybils' games take no more moves and no timeout; each is closed by one O(1) call.
    with pytest.raises(G.GameOver):
        game.bisect(first, True, b"\x07" * 32, sender=sybils[0])
    chain.mine(CONFIG.clock + 1)
    with pytest.raises(G.GameOver):
        game.claim_timeout(first)
    closes = [game.close_game(x).gas_used for x in game.claim_games(cid)[:3]]
    assert max(closes) < 150_000 and game.claim(cid).open_games == sybil_games - 3
    assert not game.resolve_claim(cid).of(ev.ClaimFinalized)  # a rejected claim stays rejected
    assert game.claim(cid).status == "rejected"
    with pytest.raises(E.ClaimNotFinal):
        game.result(cid)


# ---------------------------------------------------------------- finding 4


def test_resolveClaim_tightGas_deliversCallbackOrReverts_neverFinalWithCallbackStarved(system):
    program, x_q = case("toy")
    chain, game = system.chain, system.game
    greedy = chain.deploy("TestGreedyConsumer", CONFIG.callback_gas - 5_000)
    consumer = chain.contract("TestGreedyConsumer", greedy)
    arbiter = ChainArbiter(system)
    model_id = arbiter.register_model(program)
    from bisection import trace
    from runtime.tensor_root import tensor_bytes

    h = trace.compute(program, x_q)
    n, out = h.steps, program.output_slots[0]
    r = game.submit_claim(model_id, tensor_bytes(x_q), h.root(n), h.leaf(n, out), h.proof(n, out),
                          bond=CONFIG.min_bond, consumer=greedy, sender=chain.accounts[3])
    cid = r.one(ev.ClaimSubmitted).claim_id
    chain.mine(CONFIG.window)
    fn = game.contract.functions.resolveClaim(cid)
    estimate = fn.estimate_gas({"from": chain.accounts[5].address})
    outcomes = set()
    for limit in [estimate, estimate - 20_000, 100_000]:
        snap = chain.snapshot()
        try:
            receipt = chain.transact(fn, sender=chain.accounts[5], gas=limit)
        except (E.InsufficientGasForCallback, E.TransactionFailedError):
            assert game.claim(cid).status == "pending"  # nothing happened: anyone may resolve it again
            outcomes.add("reverted")
        else:
            assert receipt.one(ev.CallbackExecuted).success, limit
            assert consumer.functions.resultOf(game.address, cid).call() == h.leaf(n, out)
            assert game.claim(cid).status == "final"
            outcomes.add("delivered")
        finally:
            chain.revert(snap)
    assert outcomes == {"delivered", "reverted"}


def test_claim_consumerWithoutCode_rejectedAtSubmit(system):
    program, x_q = case("toy")
    arbiter = ChainArbiter(system)
    model_id = arbiter.register_model(program)
    from bisection import trace
    from runtime.tensor_root import tensor_bytes

    h = trace.compute(program, x_q)
    n, out = h.steps, program.output_slots[0]
    with pytest.raises(E.InvalidConfig):  # its callback could never run, and resolve would always revert
        system.game.submit_claim(model_id, tensor_bytes(x_q), h.root(n), h.leaf(n, out), h.proof(n, out),
                                 bond=CONFIG.min_bond, consumer=system.chain.accounts[7].address)


# ---------------------------------------------------------------- finding 6


def test_oneWeiBonds_rejected_onClaimGameMoveAndConfig(system):
    program, x_q = case("digits-mlp")
    liar, fair = players(program, x_q)
    arbiter = ChainArbiter(system)
    model_id = arbiter.register_model(program)
    with pytest.raises(G.InsufficientBond):
        liar.submit(arbiter, model_id, bond=1)
    cid = liar.submit(arbiter, model_id)
    with pytest.raises(G.InsufficientBond):
        fair.challenge(arbiter, cid, bond=1)
    gid = fair.challenge(arbiter, cid)
    g = system.game.game(gid)
    with pytest.raises(G.InsufficientBond):  # a move carries bondAt(depth): here minBond * 1.1
        system.game.bisect(gid, True, b"\x03" * 32, sender=arbiter.account("liar"), bond=1)
    assert system.game.move_bond(gid) == CONFIG.bond_at(1) > CONFIG.min_bond
    assert system.game.game(gid) == g
    for bad in (OpmlConfig(min_bond=1), OpmlConfig(min_bond=10**15, gas_price=10**10), OpmlConfig(gas_price=0),
                OpmlConfig(bond_growth=9_999)):
        with pytest.raises(E.InvalidConfig):
            deploy_opml(system.chain, bad, verifier=system.verifier)


@pytest.mark.parametrize("strategy", ["timeout", "wrong-output"])
def test_cheapGamesOnHonestClaim_challengerLoses_itsBondsPayTheDefendersGas(system, strategy):
    """A griefer disputes an honest claim and loses (by stalling or by the one-step check): what it
    forfeits covers every transaction the honest defender sent in that game, at the priced gas."""
    program, x_q = case("digits-mlp")
    griefer, fair = players(program, x_q, strategy, 2)
    griefer.name, fair.name = "griefer", "defender"
    arbiter = ChainArbiter(system)
    cid = fair.submit(arbiter, arbiter.register_model(program))
    gid = griefer.challenge(arbiter, cid)
    dispute.play(arbiter, gid, {Side.DEFENDER: fair, Side.CHALLENGER: griefer})
    g = system.game.game(gid)
    assert g.winner == 1 and system.game.claim(cid).status == "pending"
    defender_gas = sum(m["gas"] for m in arbiter.game(gid).transcript if m["side"] == "defender")
    assert g.challenger_bond >= defender_gas * CONFIG.gas_price, (g.challenger_bond, defender_gas)
    assert system.game.paid(arbiter.account("defender").address) == g.challenger_bond + g.defender_bond


def test_bondAt_onChain_equalsBisectionRule_everyDepth(system):
    """The in-memory arbiter and the contract charge the same bond at every depth (the cap included)."""
    from bisection.types import MAX_BOND_DEPTH, bond_at

    for depth in (0, 1, 2, 7, 20, MAX_BOND_DEPTH, MAX_BOND_DEPTH + 5):
        assert system.game.bond_at(depth) == bond_at(CONFIG.min_bond, CONFIG.bond_growth, depth) == CONFIG.bond_at(depth)
    assert bond_at(CONFIG.min_bond, CONFIG.bond_growth, 20) > 6 * CONFIG.min_bond  # 1.1^20 = 6.7
