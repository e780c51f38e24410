"""Poisoned training weights (issue 16, finding 4): a trainer proposes a file that the scorers cannot fetch
or evaluate. On the embedded chain with the real roles: every scorer survives and still serves an honest
proposal made at the same time, the poisoned proposal is rejected, its trainer slashed and paid nothing,
and no scorer loses stake."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import events as ev
from contracts.bindings.training import SETTLE_TAG, ProposalStatus
from contracts.chain import connect
from runtime.errors import UnsupportedOpError
from verifiers.agents.base import Scheduler
from verifiers.chainlog import events
from verifiers.training import learn
from verifiers.training.data import split_nodes
from verifiers.training.roles import Follower, Scorer, Trainer
from verifiers.training.session import CHAIN_CONFIG, SessionConfig, deploy_task
from verifiers.training.sml import Sml
from verifiers.training.store import MemoryStore
from verifiers.training.weights import INT32, Weights, commitment_of, file_size

SHAPES = learn.DIGITS_MLP_SML.shapes


def _const(value: int) -> Weights:
    return Weights(tuple(np.full(s, value, np.int64) for s in SHAPES))


def _unsupported(sml: Sml) -> Weights:
    """Every hidden unit equal; the head adds and subtracts two features the trainer's SML maps to the same
    value with the largest weights, so the output is the tiny bias alone: its scale is so small beside
    the head's inputs and weights that the exact profile refuses the requantization (UnsupportedOpError)."""
    i, j = 0, next(k for k in range(1, sml.width) if sml.signs[k] == sml.signs[0])
    head = np.zeros(SHAPES[4], np.int64)
    head[:, i], head[:, j] = INT32[1], -INT32[1]
    bias = np.zeros(SHAPES[5], np.int64)
    bias[0] = 1
    one = [np.full(s, 1 << 16, np.int64) if len(s) == 2 else np.zeros(s, np.int64) for s in SHAPES[:4]]
    return Weights((*one, head, bias))


def _nan(sml: Sml) -> Weights:
    with np.errstate(invalid="ignore"):  # what a float trainer that diverged writes (the format holds no NaN)
        return Weights.from_float([np.full(s, np.nan) for s in SHAPES])


# kind -> (sml -> the bytes put in the store, None for none), whether the proposal commits to those bytes
POISON = {
    "unsupported-op": (lambda sml: _unsupported(sml).to_bytes(), True),
    "garbage": (lambda sml: bytes(range(256)) * 40, True),
    "wrong-shapes": (lambda sml: Weights(tuple(np.zeros(s[::-1], np.int64) for s in SHAPES)).to_bytes(), True),
    "nan": (lambda sml: _nan(sml).to_bytes(), True),
    "huge": (lambda sml: _const(1).to_bytes() + b"\0" * (1 << 20), True),  # a valid file with a megabyte appended
    "missing": (lambda sml: None, True),  # proposed, never published
    "mismatch": (lambda sml: _const(1).to_bytes(), False),  # published, but not the bytes committed to
}


def _propose_poison(task, store, kind: str) -> int:
    make, committed = POISON[kind]
    task.deployment.chain.mine(1)  # version 0's seed block
    attacker = task.accounts[0].address
    data = make(Sml.derive(task.training.version_seed(0), attacker))
    commitment = commitment_of(data if data is not None else b"never published")
    if not committed:
        commitment = commitment_of(data + b"\0")
    uri = store.put(data) if data is not None else "mem:" + commitment.hex()
    r = task.training.propose(0, commitment, uri, sender=task.accounts[0])
    return r.one(ev.Proposed).proposal_id


def test_unsupportedOpPoison_makesTheExactProfileRaise_onEveryScorersData():
    """The poison of kind "unsupported-op" really makes evaluation raise (what crashed scorers before)."""
    sml = Sml.derive(b"\1" * 32, "0x" + "11" * 20)
    for d in split_nodes(4, seed=0):
        with pytest.raises(UnsupportedOpError):
            learn.score_exact(_unsupported(sml), sml, d.x_val, d.y_val)


@pytest.mark.parametrize("kind", sorted(POISON))
def test_poisonedWeights_scorersSurviveProposalRejected_trainerSlashedUnpaid_noScorerSlashed(kind):
    chain = connect("embedded")
    store = MemoryStore()
    task = deploy_task(chain, SessionConfig(nodes=4), store)  # committees of 3: the attacker never scores itself
    d, training, accounts, registry = task.deployment, task.training, task.accounts, task.deployment.system.nodes
    attacker = accounts[0].address
    stakes = {a.address: registry.stake_of(a.address) for a in accounts}
    data = split_nodes(4, seed=0)
    # Every node scores honestly (the attacker's own scorer too); node 1 also trains honestly at the same time.
    scorers = [Scorer(d, a, store=store, data=data[i], name=f"scorer-{i}") for i, a in enumerate(accounts)]
    follower = Follower(d, accounts[1], store=store)
    honest = Trainer(d, accounts[1], store=store, data=data[1], follower=follower, staleness=0, epochs=4)
    sched = Scheduler([*scorers, follower, honest])

    poisoned = _propose_poison(task, store, kind)
    for _ in range(400):
        if sched.tick() == 0:
            if all(training.proposal(p).status not in (ProposalStatus.PROPOSED, ProposalStatus.SCORING)
                   for p in range(1, training.next_proposal_id())):
                break
            chain.mine(1)

    p = training.proposal(poisoned)
    assert p.status == ProposalStatus.REJECTED and p.score == 0
    assert p.revealed == p.committee  # every drawn scorer revealed: none died or stayed silent
    others = [q for q in range(1, training.next_proposal_id()) if q != poisoned]
    assert [training.proposal(q).status for q in others] == [ProposalStatus.ACCEPTED]  # served alongside
    slashed = [s.event for s in events(chain, registry.address, ev.Slashed, from_block=d.start_block)]
    assert [(e.node, e.amount) for e in slashed] == [(attacker, CHAIN_CONFIG.slash_amount)]
    assert registry.stake_of(attacker) == stakes[attacker] - CHAIN_CONFIG.slash_amount
    assert all(registry.stake_of(a) == s for a, s in stakes.items() if a != attacker)
    # The trainer gains nothing from its proposal: no settlement of it pays the attacker, whose credit is
    # only what its own honest scoring of the other proposal earned.
    tag = SETTLE_TAG | poisoned
    paid = [s.event for s in events(chain, registry.address, ev.Rewarded, ev.Refunded, from_block=d.start_block)]
    assert not any(e.request_id == tag and getattr(e, "node", getattr(e, "account", None)) == attacker for e in paid)
    assert registry.credit(attacker) == sum(e.amount for e in paid if e.request_id != tag
                                            and getattr(e, "node", getattr(e, "account", None)) == attacker)
    assert not any("error" in entry for s in scorers for entry in s.log)  # no duty raised
    revealed = events(chain, training.address, ev.ScoreRevealed, from_block=d.start_block, key=poisoned)
    assert [s.event.score for s in revealed] == [0, 0, 0]  # every scorer found it worthless


def test_fileThatArrivesWithinHalfTheCommitWindow_scoredNormally_honestTrainerNotSlashed():
    """A store may take a while to show a file everywhere: scorers wait for a missing file through the
    first half of the commit window before taking it as never published (the "missing" kind above)."""
    chain = connect("embedded")
    store = MemoryStore()
    task = deploy_task(chain, SessionConfig(nodes=4), store)
    d, training, accounts = task.deployment, task.training, task.accounts
    data = split_nodes(4, seed=0)
    scorers = [Scorer(d, a, store=store, data=data[i]) for i, a in enumerate(accounts) if i]
    chain.mine(1)
    sml = Sml.derive(training.version_seed(0), accounts[0].address)
    w = learn.train_local(learn.into_sml(task.initial, sml), data[0].x_train, data[0].y_train, sml, epochs=4)
    pid = training.propose(0, w.commitment(), "mem:" + w.commitment().hex(), sender=accounts[0]).one(ev.Proposed).proposal_id
    sched = Scheduler(scorers)
    while training.proposal(pid).status != ProposalStatus.SCORING or chain.block_number < training.proposal(pid).commit_deadline - 40:
        sched.tick()
        chain.mine(1)
    assert training.proposal(pid).commit_count == 0  # nobody took the missing file for worthless yet
    assert store.put(w.to_bytes()) == "mem:" + w.commitment().hex()  # published late, within half the window
    for _ in range(200):
        if training.proposal(pid).status != ProposalStatus.SCORING:
            break
        if sched.tick() == 0:
            chain.mine(1)
    p = training.proposal(pid)
    assert p.status == ProposalStatus.ACCEPTED and p.score >= training.threshold
    slashed = events(chain, d.system.nodes.address, ev.Slashed, from_block=d.start_block)
    assert not slashed


@pytest.fixture(scope="module")
def scorer():
    """One honest scorer on a deployed task (nothing proposed: its scoring is fed files directly)."""
    chain = connect("embedded")
    store = MemoryStore()
    task = deploy_task(chain, SessionConfig(nodes=3), store)
    return Scorer(task.deployment, task.accounts[1], store=store, data=split_nodes(3, seed=0)[1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.binary(max_size=2048),  # anything at all
    st.binary(max_size=64).map(lambda tail: _const(1).to_bytes()[:-len(tail) or None] + tail),  # a valid file's tail changed
    st.tuples(st.integers(0, 5), st.integers(-(2**31), 2**31 - 1)).map(  # one tensor set to one value
        lambda k: Weights(tuple(np.full(s, k[1] if i == k[0] else 1 << 12, np.int64)
                                for i, s in enumerate(SHAPES))).to_bytes())),
       st.booleans(), st.binary(min_size=20, max_size=20))
def test_scorer_anyWeightsFile_aScoreNeverAnException(scorer, data, published, trainer):
    """Whatever file a proposal names, honest scoring returns a score in range (0 when the file cannot be
    had or evaluated) and raises nothing: the fuzz behind finding 4's fix."""
    uri = scorer.store.put(data) if published else "mem:" + commitment_of(data).hex()
    p = ev.Proposed(proposal_id=1, trainer="0x" + trainer.hex(), base_version=0, weights=commitment_of(data),
                    uri=uri, sml_seed=b"\x5e" * 32)
    score = scorer.honest_score(p)
    assert 0 <= score <= learn.SCORE_MAX
    decodes = len(data) == file_size(SHAPES) and data[:4] == b"TRW1"
    if not published or not decodes:
        assert score == 0
