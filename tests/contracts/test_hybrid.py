"""HybridCourt on the embedded chain: a BRAIN committee answers at once, the opML game stands behind it.

- an honest majority's answer is provisional at the committee's decision and final after the window;
- a lying majority's answer is provisional, an honest watcher challenges it, the majority's defense
  claim loses its bisection game, the answer is overturned, the watcher's claim is adopted as the final
  answer and the majority is slashed (its stake pays the watcher), the honest minority untouched;
- an honest majority's answer final slashes the lying minority then (paying the majority), never at
  Brain's finalize, and every revealed member stays locked until that verdict;
- with no watcher, a lying majority's answer ends final: the window is the only protection;
- an undefended challenge, an unpublished pair, a Brain round without quorum and a griefing challenger
  each end the way contracts/README.md ("Hybrid") says;
- bad input reverts with a named error and changes nothing.

One deployment per module (Brain, opML game, court, 8 staked nodes, toy and digits-cnn registered);
a snapshot before each test and a revert after it. Windows are a few blocks; tests mine blocks.
"""
from __future__ import annotations

import numpy as np
import pytest

from bisection import Side, dispute, trace
from bisection.players import make_player
from contracts import errors as E
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from contracts.bindings import commitment, new_salt
from contracts.bindings.hybrid import HybridConfig, HybridStatus, OverturnReason, vote_of
from contracts.bindings.opml import OpmlConfig
from contracts.chain import connect
from contracts.deploy import ETHER, SystemConfig, deploy, deploy_hybrid, deploy_opml, register_hybrid_model
from runtime import zoo
from runtime.model import Model
from runtime.tensor_root import tensor_bytes

SYSTEM = SystemConfig(min_stake=ETHER, withdrawal_delay=1000, slash_amount=ETHER // 10, min_fee=ETHER // 1000,
                      committee_size=5, quorum_bps=5000, commit_window=8, reveal_window=8, max_callback_gas=300_000,
                      max_in_flight=64)
OPML = OpmlConfig(window=20, clock=10, min_bond=10**15, stride=2, callback_gas=100_000)
HYBRID = HybridConfig(challenge_window=10, defend_window=6, adopt_window=80, challenge_bond=10**16,
                      brain_callback_gas=250_000, max_callback_gas=200_000)
NODES = 8  # accounts 1..8 stake; 0 deploys; 10 requests; 11.. watch
FEE = ETHER // 100
GAS = 500_000  # explicit gas for the Brain moves this test plays: one EVM run each, not an estimation search


def case(name: str):
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x_q = m.quantize_input(np.asarray(x[:1]))
    return m.program(x_q.shape), x_q


@pytest.fixture(scope="module")
def deployed():
    chain = connect("embedded")
    system = deploy(chain, SYSTEM)
    opml = deploy_opml(chain, OPML)
    hybrid = deploy_hybrid(system, opml, HYBRID)
    for account in chain.accounts[1:1 + NODES]:
        system.nodes.register(2 * ETHER, sender=account)
    cases = {}
    for name in ("toy", "digits-cnn"):
        program, x_q = case(name)
        cases[name] = (program, x_q, register_hybrid_model(system, opml, program))
    yield system, opml, hybrid, cases
    chain.close()


class Round:
    """Plays the requester, the committee members and the watcher of one hybrid request."""

    def __init__(self, deployed, name: str = "toy"):
        self.s, self.opml, self.h, cases = deployed
        self.chain, self.court = self.s.chain, self.h.court
        self.name = name
        self.program, self.x_q, self.model_id = cases[name]
        self.accounts = {a.address: a for a in self.chain.accounts}
        self.user, self.watcher = self.chain.accounts[10], self.chain.accounts[11]
        self.honest = trace.compute(self.program, self.x_q)
        self.gas: dict[str, list[int]] = {}

    def tx(self, kind: str, receipt):
        self.gas.setdefault(kind, []).append(receipt.gas_used)
        return receipt

    def pair(self, t) -> tuple[bytes, bytes, list[bytes]]:
        """(output root, final root, output root's path in S_N) of a trace."""
        out, n = self.program.output_slots[0], t.steps
        return t.leaf(n, out), t.root(n), t.proof(n, out)

    def request(self) -> int:
        r = self.tx("request", self.court.request(self.model_id, tensor_bytes(self.x_q), fee=FEE, sender=self.user,
                                                  consumer=self.h.consumer.address, callback_gas=100_000))
        self.rid = r.one(ev.HybridRequested).request_id
        self.request_basefee = self.chain.w3.eth.get_block(r.block_number)["baseFeePerGas"]
        self.chain.mine(1)
        self.tx("dispatch", self.s.brain.dispatch(1, gas=2 * GAS))
        self.committee = [self.accounts[a] for a in self.s.brain.committee(self.rid)]
        return self.rid

    def vote(self, traces: list, publish: bool = True):
        """Member i votes traces[i]'s pair (None: no vote); the first voter of each pair publishes it after
        its reveal; then Brain finalizes. Returns the finalize receipt."""
        votes = {m: self.pair(t) for m, t in zip(self.committee, traces) if t is not None}
        salts = {m.address: new_salt() for m in votes}
        for m, (o, f, _) in votes.items():
            self.tx("commit", self.s.brain.commit(self.rid, commitment(vote_of(o, f), m.address, salts[m.address]),
                                                  sender=m, gas=GAS))
        self.chain.mine(max(0, self.s.brain.request_info(self.rid).commit_deadline - self.chain.block_number + 1)
                        if len(votes) < len(self.committee) else 0)
        done = set()
        for m, (o, f, proof) in votes.items():
            self.tx("reveal", self.s.brain.reveal(self.rid, vote_of(o, f), salts[m.address], sender=m, gas=GAS))
            if publish and vote_of(o, f) not in done:
                done.add(vote_of(o, f))
                self.tx("publish", self.court.publish(self.rid, o, f, proof, sender=m))
        if len(votes) < len(self.committee):
            self.chain.mine(max(0, self.s.brain.request_info(self.rid).reveal_deadline - self.chain.block_number + 1))
        return self.tx("finalize", self.s.brain.finalize(self.rid, gas=2 * GAS))

    def mine_past(self, block: int) -> None:
        self.chain.mine(max(0, block - self.chain.block_number + 1))

    def arbiter(self, names: dict) -> ChainArbiter:
        arbiter = ChainArbiter(self.opml, accounts=names)
        arbiter.register_model(self.program)
        return arbiter

    def info(self):
        return self.court.request_info(self.rid)

    def delivered(self) -> bytes:
        return self.h.consumer.contract.functions.resultOf(self.court.address, self.rid).call()


def record(rnd, figure, case: str, provisional: int, final: int) -> None:
    """Latency in blocks from the request's block, and median gas per transaction kind."""
    start = rnd.info().request_block
    figure(f"hybrid {rnd.name} {case}: blocks to provisional", provisional - start)
    figure(f"hybrid {rnd.name} {case}: blocks to final", final - start)
    for kind, gas in rnd.gas.items():
        figure(f"hybrid {rnd.name} {case}: gas {kind}", int(np.median(gas)))


def liar_trace(program, x_q, cheat: str = "wrong-final", k: int | None = None):
    """A trace whose output is wrong (wrong-final corrupts the last step's output)."""
    return make_player("defender", program, x_q, cheat, k).trace


@pytest.fixture
def rnd(deployed, request):
    """A Round on "toy", or on the model given by indirect parametrization."""
    chain = deployed[0].chain
    snap = chain.snapshot()
    yield Round(deployed, getattr(request, "param", "toy"))
    chain.revert(snap)


FIGURE_MODELS = pytest.mark.parametrize("rnd", ["digits-cnn"], indirect=True)  # the figures the README quotes


# ---------------------------------------------------------------- honest committee


@FIGURE_MODELS
def test_honestMajority_provisionalAtDecision_finalAfterWindow(rnd, figure):
    rid = rnd.request()
    out, final, _ = rnd.pair(rnd.honest)
    fin = rnd.vote([rnd.honest] * 5)
    prov = fin.one(ev.AnswerProvisional)
    assert (prov.output_root, prov.final_root) == (out, final)
    assert rnd.info().status == HybridStatus.PROVISIONAL and rnd.info().decided_at == fin.block_number
    assert rnd.court.answer(rid) == (out, final)
    majority = [m.address for m in rnd.committee]
    assert all(rnd.s.nodes.open_rounds(m) == 1 for m in majority)  # the court holds their stake
    assert rnd.delivered() == bytes(32)  # the consumer hears nothing until final
    with pytest.raises(E.AnswerNotFinal):
        rnd.court.result(rid)
    with pytest.raises(E.HybridWindowOpen):
        rnd.court.resolve(rid)
    rnd.mine_past(prov.challenge_deadline)
    resolver = rnd.chain.accounts[0].address
    owed = rnd.court.owed(resolver)
    r = rnd.tx("resolve (final)", rnd.court.resolve(rid))
    assert r.one(ev.AnswerFinal).upheld and r.one(ev.CallbackExecuted).success
    # The consumer's callback ran in the resolver's transaction: the requester's allowance pays it.
    assert rnd.court.owed(resolver) - owed == rnd.info().allowance == 100_000 * rnd.request_basefee > 0
    assert rnd.court.result(rid) == out == rnd.delivered()
    assert not r.of(ev.Slashed) and all(rnd.s.nodes.open_rounds(m) == 0 for m in majority)
    record(rnd, figure, "honest", provisional=fin.block_number, final=r.block_number)


def split_vote(rnd, majority_trace, minority_trace):
    """Three members vote `majority_trace`, two `minority_trace`; returns (finalize receipt, majority, minority)."""
    rnd.request()
    fin = rnd.vote([majority_trace] * 3 + [minority_trace] * 2)
    return fin, [m.address for m in rnd.committee[:3]], [m.address for m in rnd.committee[3:]]


def test_honestMajority_lyingMinoritySlashedOnlyOnceTheAnswerIsFinal_payingTheMajority(rnd):
    """A court round is provisional when Brain finalizes: Brain judges nobody for its answer and keeps every
    revealed member locked; the answer final, the court slashes the minority and pays the majority."""
    stakes = {a.address: rnd.s.nodes.stake_of(a.address) for a in rnd.chain.accounts[1:1 + NODES]}
    fin, majority, minority = split_vote(rnd, rnd.honest, liar_trace(rnd.program, rnd.x_q))
    assert not fin.of(ev.Slashed)  # the answer is only provisional
    assert rnd.info().majority and rnd.info().minority and rnd.info().majority & rnd.info().minority == 0
    assert all(rnd.s.nodes.open_rounds(m) == 1 for m in majority + minority)  # held for the court's verdict
    rnd.mine_past(rnd.info().decided_at + HYBRID.challenge_window)
    credit = {m: rnd.s.nodes.credit(m) for m in majority}
    r = rnd.tx("resolve (final, minority)", rnd.court.resolve(rnd.rid))
    assert r.one(ev.AnswerFinal).output_root == rnd.pair(rnd.honest)[0]
    slashed = {e.node: e.amount for e in r.of(ev.Slashed)}
    assert slashed == {m: SYSTEM.slash_amount for m in minority} and not r.of(ev.Forfeited)
    assert sum(rnd.s.nodes.credit(m) - credit[m] for m in majority) == 2 * SYSTEM.slash_amount
    assert all(rnd.s.nodes.stake_of(m) == stakes[m] for m in majority)
    assert all(rnd.s.nodes.open_rounds(m) == 0 for m in majority + minority)


def test_nobodyWithdrawsBetweenBrainFinalizeAndTheVerdict(rnd):
    """Every revealed member (the minority too) stays locked from Brain's finalize to the court's settlement,
    however long that takes: a lying minority cannot leave before it is judged."""
    fin, majority, minority = split_vote(rnd, rnd.honest, liar_trace(rnd.program, rnd.x_q))
    leavers = [majority[0], minority[0]]
    for m in leavers:
        rnd.s.nodes.request_withdrawal(sender=rnd.accounts[m])
    rnd.chain.mine(SYSTEM.withdrawal_delay + 1)
    for m in leavers:
        with pytest.raises(E.StakeLocked):
            rnd.s.nodes.withdraw(sender=rnd.accounts[m])
    stake = rnd.s.nodes.stake_of(minority[0])
    assert rnd.court.resolve(rnd.rid).one(ev.AnswerFinal).upheld
    for m in leavers:
        rnd.s.nodes.withdraw(sender=rnd.accounts[m])
    assert rnd.s.nodes.stake_of(minority[0]) == 0 and stake - SYSTEM.slash_amount > 0


def test_noWatcher_lyingMajorityProvisionalThenFinal(rnd):
    """The challenge window is the only protection: a lie nobody disputes ends final."""
    rid = rnd.request()
    liar = liar_trace(rnd.program, rnd.x_q)
    rnd.vote([liar, liar, liar, rnd.honest, rnd.honest])
    assert rnd.info().status == HybridStatus.PROVISIONAL
    rnd.mine_past(rnd.info().decided_at + HYBRID.challenge_window)
    assert rnd.court.resolve(rid).one(ev.AnswerFinal).output_root == rnd.pair(liar)[0] != rnd.pair(rnd.honest)[0]


# ---------------------------------------------------------------- a lying majority and an honest watcher


def overturn_by_game(rnd, liar, cheat: str = "wrong-final", k: int | None = None):
    """Liars vote `liar`; the watcher claims the honest answer, challenges; a liar defends with its claim
    and loses the bisection game the watcher opens. Returns (honest claim id, liar account)."""
    rid = rnd.request()
    rnd.decided = rnd.vote([liar, liar, liar, rnd.honest, rnd.honest]).block_number
    liars = [m for m in rnd.committee if rnd.s.brain.vote_of(rid, m.address) == vote_of(*rnd.pair(liar)[:2])]
    arbiter = rnd.arbiter({"watcher": rnd.watcher, "liar": liars[0]})
    fair = make_player("honest", rnd.program, rnd.x_q, honest=rnd.honest)
    cheater = make_player("defender", rnd.program, rnd.x_q, cheat, k)
    fair.name, cheater.name = "watcher", "liar"
    honest_claim = fair.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    rnd.tx("challenge", rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher))
    defense = cheater.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    rnd.tx("defend", rnd.court.defend(rid, defense, sender=liars[0]))
    assert rnd.info().status == HybridStatus.DEFENDED and rnd.info().defense == defense
    with pytest.raises(E.ClaimNotFinalizable):  # the defense is open to games: nothing to resolve yet
        rnd.court.resolve(rid)
    gid = fair.challenge(arbiter, defense, bond=OPML.min_bond)
    dispute.play(arbiter, gid, {Side.DEFENDER: cheater, Side.CHALLENGER: fair})
    assert arbiter.game(gid).winner == Side.CHALLENGER
    r = rnd.tx("resolve (overturn)", rnd.court.resolve(rid))
    assert r.one(ev.AnswerOverturned).reason == OverturnReason.REFUTED
    return honest_claim, liars, arbiter


@FIGURE_MODELS
def test_lyingMajority_honestWatcherOverturnsIt_honestAnswerFinal_majoritySlashed(rnd, figure):
    liar = liar_trace(rnd.program, rnd.x_q)
    stakes = {a.address: rnd.s.nodes.stake_of(a.address) for a in rnd.chain.accounts[1:1 + NODES]}
    honest_claim, liars, arbiter = overturn_by_game(rnd, liar)
    rid = rnd.rid
    minority = [m.address for m in rnd.committee if m not in liars]
    assert all(rnd.s.nodes.open_rounds(m) == 1 for m in minority)  # held for the verdict, like the liars
    with pytest.raises(E.ClaimNotFinalizable):  # the honest claim's own window is still open
        rnd.court.adopt(rid, honest_claim)
    rnd.mine_past(rnd.opml.game.claim(honest_claim).created + OPML.window)
    r = rnd.tx("adopt", rnd.court.adopt(rid, honest_claim))
    final = r.one(ev.AnswerFinal)
    assert not final.upheld and final.output_root == rnd.pair(rnd.honest)[0] == rnd.delivered() == rnd.court.result(rid)
    slashed = {e.node: e.amount for e in r.of(ev.Slashed)}
    assert set(slashed) == {m.address for m in liars} and set(slashed.values()) == {SYSTEM.slash_amount}
    assert all(rnd.s.nodes.stake_of(m.address) == stakes[m.address] - SYSTEM.slash_amount for m in liars)
    assert all(rnd.s.nodes.open_rounds(m.address) == 0 for m in liars)  # slashed, then released
    # the honest minority, outvoted by the liars, loses nothing: not at Brain's finalize, not at adoption
    assert all(rnd.s.nodes.stake_of(m) == stakes[m] and rnd.s.nodes.open_rounds(m) == 0 for m in minority)
    pot = 3 * SYSTEM.slash_amount
    assert rnd.court.owed(rnd.watcher.address) == HYBRID.challenge_bond + pot
    before = rnd.chain.balance(rnd.watcher.address)
    w = rnd.court.withdraw(sender=rnd.watcher)
    assert rnd.chain.balance(rnd.watcher.address) > before + pot and w.one(ev.BondWithdrawn).amount == pot + HYBRID.challenge_bond
    rnd.gas["opML claims, game and moves (sum)"] = [sum(g["gas"] for g in arbiter.gas)]
    record(rnd, figure, "overturned", provisional=rnd.decided, final=r.block_number)


def test_challengeNotDefended_overturned_honestClaimAdopted(rnd):
    rid = rnd.request()
    liar = liar_trace(rnd.program, rnd.x_q)
    rnd.vote([liar, liar, liar, rnd.honest, rnd.honest])
    rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher)
    arbiter = rnd.arbiter({"watcher": rnd.watcher})
    fair = make_player("honest", rnd.program, rnd.x_q, honest=rnd.honest)
    fair.name = "watcher"
    claim = fair.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    with pytest.raises(E.HybridWindowOpen):
        rnd.court.resolve(rid)
    rnd.mine_past(rnd.info().challenged_at + HYBRID.defend_window)
    assert rnd.court.resolve(rid).one(ev.AnswerOverturned).reason == OverturnReason.UNDEFENDED
    rnd.mine_past(rnd.opml.game.claim(claim).created + OPML.window)
    r = rnd.court.adopt(rid, claim)
    assert r.one(ev.AnswerFinal).output_root == rnd.pair(rnd.honest)[0] and len(r.of(ev.Slashed)) == 3
    # Undefended is silence: the stake goes to the treasury; the challenger gets its bond back, no more.
    assert r.one(ev.Forfeited).amount == 3 * SYSTEM.slash_amount
    assert rnd.court.owed(rnd.watcher.address) == HYBRID.challenge_bond


def test_pairNeverPublished_overturned_thenRightClaimAdopted_nobodySlashed(rnd):
    """A majority that never shows its pair loses the answer; a final claim with that same pair is
    still adopted (the majority was right), without slashing."""
    rid = rnd.request()
    rnd.vote([rnd.honest] * 5, publish=False)
    assert rnd.info().status == HybridStatus.DECIDED
    rnd.mine_past(rnd.info().decided_at + HYBRID.challenge_window)
    assert rnd.court.resolve(rid).one(ev.AnswerOverturned).reason == OverturnReason.UNPUBLISHED
    arbiter = rnd.arbiter({"watcher": rnd.watcher})
    fair = make_player("honest", rnd.program, rnd.x_q, honest=rnd.honest)
    fair.name = "watcher"
    claim = fair.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    rnd.mine_past(rnd.opml.game.claim(claim).created + OPML.window)
    r = rnd.court.adopt(rid, claim)
    assert r.one(ev.AnswerFinal).output_root == rnd.pair(rnd.honest)[0] and not r.of(ev.Slashed)


def test_overturnedNothingAdopted_timesOut_undefendedMajorityForfeitsToTreasury(rnd):
    rid = rnd.request()
    liar = liar_trace(rnd.program, rnd.x_q)
    rnd.vote([liar, liar, liar, rnd.honest, rnd.honest])
    rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher)
    rnd.mine_past(rnd.info().challenged_at + HYBRID.defend_window)
    rnd.court.resolve(rid)
    rnd.mine_past(rnd.info().overturned_at + HYBRID.adopt_window)
    r = rnd.court.resolve(rid)
    # Not defending is silence (DESIGN.md section 9): the majority's stake goes to the treasury, never to the
    # requester, and not to the challenger, whose bond never faced the majority's claim in a game.
    # The requester gets back only the allowance of its consumer's callback, which never ran.
    assert r.one(ev.HybridTimedOut).refund == rnd.info().allowance == rnd.court.owed(rnd.user.address) > 0
    assert r.one(ev.Forfeited).amount == 3 * SYSTEM.slash_amount
    assert rnd.court.owed(rnd.watcher.address) == HYBRID.challenge_bond
    assert rnd.info().status == HybridStatus.TIMED_OUT


def test_griefingChallenge_defenseHolds_bondToDefender(rnd):
    rid = rnd.request()
    rnd.vote([rnd.honest] * 5)
    rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher)
    member = rnd.committee[0]
    arbiter = rnd.arbiter({"member": member, "griefer": rnd.watcher})
    fair = make_player("honest", rnd.program, rnd.x_q, honest=rnd.honest)
    griefer = make_player("challenger", rnd.program, rnd.x_q, "wrong-output", 1)
    fair.name, griefer.name = "member", "griefer"
    defense = fair.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    rnd.court.defend(rid, defense, sender=rnd.watcher)  # anyone may name a majority member's claim
    gid = griefer.challenge(arbiter, defense, bond=OPML.min_bond)
    dispute.play(arbiter, gid, {Side.DEFENDER: fair, Side.CHALLENGER: griefer})
    assert arbiter.game(gid).winner == Side.DEFENDER
    rnd.mine_past(rnd.opml.game.claim(defense).created + OPML.window)
    r = rnd.court.resolve(rid)
    assert r.one(ev.AnswerFinal).upheld and r.one(ev.AnswerFinal).output_root == rnd.pair(rnd.honest)[0]
    assert rnd.court.owed(member.address) == HYBRID.challenge_bond


def test_brainRoundWithoutQuorum_timesOut_feeRefunded(rnd):
    rid = rnd.request()
    liar = liar_trace(rnd.program, rnd.x_q)
    rnd.vote([rnd.honest, rnd.honest, liar, liar, None], publish=False)
    r = rnd.court.resolve(rid)
    allowances = rnd.s.brain.request_info(rid).allowance + rnd.info().allowance  # no callback ran: both back
    assert r.one(ev.HybridTimedOut).refund == FEE + allowances == rnd.court.owed(rnd.user.address)
    rnd.court.withdraw(sender=rnd.user)
    assert rnd.court.owed(rnd.user.address) == 0
    with pytest.raises(E.NothingToResolve):
        rnd.court.resolve(rid)


def test_brainRoundDeclined_timesOut_onlyCallbackAllowancesRefunded(rnd):
    """A committee that cannot serve the request declines it: Brain forfeits the fee (Unservable), and the
    court times the request out refunding only the callback allowances (no callback ran), nobody slashed."""
    from contracts.bindings.brain import DeclineReason

    rid = rnd.request()
    for m in rnd.committee[:3]:
        d = rnd.s.brain.decline(rid, DeclineReason.MODEL, sender=m)
    assert d.one(ev.Unservable).forfeited == FEE and not d.of(ev.Slashed)
    r = rnd.court.resolve(rid)
    allowances = rnd.s.brain.request_info(rid).allowance + rnd.info().allowance  # no callback ran: both back
    assert r.one(ev.HybridTimedOut).refund == allowances == rnd.court.owed(rnd.user.address)
    assert rnd.info().status == HybridStatus.TIMED_OUT


# ---------------------------------------------------------------- bad input: a named error, nothing changes


def unchanged(rnd, call, error):
    block, info = rnd.chain.block_number, rnd.info()
    with pytest.raises(error):
        call()
    assert rnd.chain.block_number == block and rnd.info() == info


def test_badRequests_revertNamedErrors(rnd):
    x = tensor_bytes(rnd.x_q)
    before = rnd.s.brain.next_request_id()
    with pytest.raises(E.UnknownModel):
        rnd.court.request(b"\x07" * 32, x, fee=FEE, sender=rnd.user)
    with pytest.raises(E.InvalidInput):
        rnd.court.request(rnd.model_id, x[:-2], fee=FEE, sender=rnd.user)
    with pytest.raises(E.FeeTooLow):
        rnd.court.request(rnd.model_id, x, fee=1, sender=rnd.user)
    with pytest.raises(E.CallbackGasTooHigh):
        rnd.court.request(rnd.model_id, x, fee=FEE, sender=rnd.user, consumer=rnd.h.consumer.address,
                          callback_gas=HYBRID.max_callback_gas + 1)
    assert rnd.s.brain.next_request_id() == before
    with pytest.raises(E.UnknownRequest):
        rnd.court.request_info(before)


def test_badPublishes_revertNamedErrors(rnd):
    rid = rnd.request()
    out, final, proof = rnd.pair(rnd.honest)
    member, stranger = rnd.committee[0], rnd.watcher
    unchanged(rnd, lambda: rnd.court.publish(rid, out, final, proof, sender=member), E.AnswerNotVoted)  # not revealed yet
    rnd.vote([rnd.honest] * 5, publish=False)
    unchanged(rnd, lambda: rnd.court.publish(rid, out, final, proof, sender=stranger), E.AnswerNotVoted)
    unchanged(rnd, lambda: rnd.court.publish(rid, final, out, proof, sender=member), E.AnswerNotVoted)
    # the voted pair with a wrong path from the output slot to S_N
    unchanged(rnd, lambda: rnd.court.publish(rid, out, final, proof[:-1], sender=member), E.InvalidAnswerProof)
    unchanged(rnd, lambda: rnd.court.publish(rid, out, final, [b"\x01" * 32] * len(proof), sender=member),
              E.InvalidAnswerProof)
    rnd.court.publish(rid, out, final, proof, sender=member)
    unchanged(rnd, lambda: rnd.court.publish(rid, out, final, proof, sender=rnd.committee[1]), E.WrongHybridStatus)


def test_badChallengesAndDefenses_revertNamedErrors(rnd):
    rid = rnd.request()
    unchanged(rnd, lambda: rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher),
              E.WrongHybridStatus)  # the committee has not decided
    liar = liar_trace(rnd.program, rnd.x_q)
    rnd.vote([liar, liar, liar, rnd.honest, rnd.honest])
    unchanged(rnd, lambda: rnd.court.challenge(rid, bond=HYBRID.challenge_bond - 1, sender=rnd.watcher),
              E.InsufficientBond)
    unchanged(rnd, lambda: rnd.court.defend(rid, 0, sender=rnd.watcher), E.WrongHybridStatus)
    unchanged(rnd, lambda: rnd.court.adopt(rid, 0, sender=rnd.watcher), E.WrongHybridStatus)
    rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher)
    unchanged(rnd, lambda: rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher),
              E.WrongHybridStatus)
    liars = [m for m in rnd.committee if rnd.s.brain.vote_of(rid, m.address) == vote_of(*rnd.pair(liar)[:2])]
    honest_member = next(m for m in rnd.committee if m not in liars)
    arbiter = rnd.arbiter({"liar": liars[0], "honest": honest_member, "watcher": rnd.watcher})
    cheater = make_player("defender", rnd.program, rnd.x_q, "wrong-final")
    fair = make_player("honest", rnd.program, rnd.x_q, honest=rnd.honest)
    unchanged(rnd, lambda: rnd.court.defend(rid, 10**6, sender=liars[0]), E.UnknownClaim)
    cheater.name, fair.name = "liar", "honest"
    fair_claim = fair.submit(arbiter, rnd.model_id, bond=OPML.min_bond)  # by a minority member
    unchanged(rnd, lambda: rnd.court.defend(rid, fair_claim, sender=honest_member), E.ClaimDoesNotMatch)
    other_x = rnd.x_q.copy()
    other_x.flat[0] += 1
    other = make_player("defender", rnd.program, other_x, "wrong-output", 2)
    other.name = "liar"
    other_claim = other.submit(arbiter, rnd.model_id, bond=OPML.min_bond)  # another input
    unchanged(rnd, lambda: rnd.court.defend(rid, other_claim, sender=liars[0]), E.ClaimDoesNotMatch)
    cheater.name = "watcher"
    by_stranger = cheater.submit(arbiter, rnd.model_id, bond=OPML.min_bond)  # the lie, but not by a member
    unchanged(rnd, lambda: rnd.court.defend(rid, by_stranger, sender=rnd.watcher), E.DefenderNotInMajority)
    rnd.mine_past(rnd.info().challenged_at + HYBRID.defend_window)
    cheater.name = "liar"
    late = cheater.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    unchanged(rnd, lambda: rnd.court.defend(rid, late, sender=liars[0]), E.HybridWindowClosed)


def test_lateChallenge_andForeignCallback_revert(rnd):
    rid = rnd.request()
    rnd.vote([rnd.honest] * 5)
    rnd.mine_past(rnd.info().decided_at + HYBRID.challenge_window)
    unchanged(rnd, lambda: rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher),
              E.HybridWindowClosed)
    fn = rnd.court.contract.functions.onResult(rid, b"\x01" * 32)
    unchanged(rnd, lambda: rnd.chain.transact(fn, sender=rnd.watcher), E.UnauthorizedCaller)
    unchanged(rnd, lambda: rnd.court.withdraw(sender=rnd.watcher), E.NothingToClaim)


def test_adoptionChecksTheClaim(rnd):
    rid = rnd.request()
    liar = liar_trace(rnd.program, rnd.x_q)
    rnd.vote([liar, liar, liar, rnd.honest, rnd.honest])
    rnd.court.challenge(rid, bond=HYBRID.challenge_bond, sender=rnd.watcher)
    rnd.mine_past(rnd.info().challenged_at + HYBRID.defend_window)
    rnd.court.resolve(rid)
    arbiter = rnd.arbiter({"watcher": rnd.watcher})
    fair = make_player("honest", rnd.program, rnd.x_q, honest=rnd.honest)
    fair.name = "watcher"
    claim = fair.submit(arbiter, rnd.model_id, bond=OPML.min_bond)
    unchanged(rnd, lambda: rnd.court.adopt(rid, claim), E.ClaimNotFinalizable)  # its window is open
    rnd.mine_past(rnd.info().overturned_at + HYBRID.adopt_window)
    unchanged(rnd, lambda: rnd.court.adopt(rid, claim), E.HybridWindowClosed)
