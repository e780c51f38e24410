"""Training: proposals, committees per proposal, commit-reveal of integer scores, the median on chain,
acceptance by threshold, slashing; bad input refused with a named error and no state change."""
from __future__ import annotations

import pytest

from contracts import errors as E
from contracts import events as ev
from contracts.bindings import ProposalStatus, TrainingConfig, new_salt, score_commitment
from contracts.deploy import ETHER, deploy_training

from .conftest import CONFIG, NODES

WEIGHTS, OTHER = b"\x0a" * 32, b"\x0b" * 32
# One backend (the bytecode is the same on both): anvil, where a scoring round takes a fraction of py-evm's time.
pytestmark = [pytest.mark.parametrize("deployed", [pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])],
                                      indirect=True)]
TCONFIG = TrainingConfig(arch_id=b"\xaa" * 32, initial_weights=b"\x01" * 32, threshold=1250,
                         trainer_reward=ETHER // 100, scorer_reward=ETHER // 1000, committee_size=5,
                         commit_window=6, reveal_window=6, max_staleness=1)


@pytest.fixture(scope="session")
def training_deployed(deployed):
    return deploy_training(deployed.chain, deployed.nodes, TCONFIG, initial_uri="v0.trw", fund=ETHER)


@pytest.fixture
def t(system, training_deployed):
    return Driver(system, training_deployed)


class Driver:
    def __init__(self, system, training):
        self.s, self.chain, self.tr = system, system.chain, training
        self.by = {a.address: a for a in system.chain.accounts}
        self.nodes = system.chain.accounts[1:1 + NODES]

    def propose(self, trainer=None, base: int | None = None, weights: bytes = WEIGHTS) -> int:
        self.chain.mine(1)  # the version's seed block
        trainer = trainer or self.nodes[0]
        r = self.tr.propose(self.tr.version() if base is None else base, weights, "w.trw", sender=trainer)
        return r.one(ev.Proposed).proposal_id

    def dispatch(self, pid: int) -> list:
        self.chain.mine(1)
        self.tr.dispatch(pid)
        return [self.by[a] for a in self.tr.committee(pid)]

    def score(self, pid: int, scores: list[int | None]) -> list:
        """Members commit then reveal scores[i] (None: commits, never reveals); returns the members."""
        members = self.dispatch(pid)
        salts = {m.address: new_salt() for m in members}
        for m, s in zip(members, scores):
            self.tr.commit_score(pid, score_commitment(s if s is not None else 0, m.address, salts[m.address]), sender=m)
        for m, s in zip(members, scores):
            if s is not None:
                self.tr.reveal_score(pid, s, salts[m.address], sender=m)
        if None in scores:
            self.chain.mine(TCONFIG.reveal_window + 1)
        return members

    def state(self, pid: int | None = None) -> tuple:
        nodes = self.s.nodes
        return (self.tr.version(), self.tr.next_proposal_id(), self.tr.pool(),
                None if pid is None else self.tr.proposal(pid),
                tuple(nodes.stake_of(a.address) for a in self.nodes), tuple(nodes.credit(a.address) for a in self.nodes))


class TestRound:
    def test_round_honestScores_medianAcceptedAsNextVersion(self, t: Driver):
        pid = t.propose()
        members = t.score(pid, [8000, 8100, 7900, 8200, 8050])
        r = t.tr.finalize(pid)
        acc = r.one(ev.Accepted)
        assert (acc.version, acc.score, acc.base_version, acc.weights) == (1, 8050, 0, WEIGHTS)
        assert t.tr.version() == 1
        v = t.tr.version_info(1)
        assert (v.proposal_id, v.score, v.weights) == (pid, 8050, WEIGHTS)
        assert t.tr.proposal(pid).status == ProposalStatus.ACCEPTED
        paid = {e.node: e.amount for e in r.of(ev.Rewarded)}
        assert set(paid) == {m.address for m in members} | {t.nodes[0].address}
        assert paid[t.nodes[0].address] == TCONFIG.trainer_reward
        assert not r.of(ev.Slashed)

    def test_round_minorityInflatesPoisoned_rejectedAndTrainerSlashed(self, t: Driver):
        pid = t.propose()
        stake = t.s.nodes.stake_of(t.nodes[0].address)
        t.score(pid, [10_000, 300, 10_000, 0, 120])
        r = t.tr.finalize(pid)
        assert r.one(ev.Rejected).score == 300
        assert t.tr.version() == 0 and t.tr.proposal(pid).status == ProposalStatus.REJECTED
        assert [e.node for e in r.of(ev.Slashed)] == [t.nodes[0].address]
        assert t.s.nodes.stake_of(t.nodes[0].address) == stake - CONFIG.slash_amount

    def test_round_oneMissingReveal_evenMedianAndNonRevealerSlashed(self, t: Driver):
        pid = t.propose()
        members = t.score(pid, [4000, None, 6000, 5000, 9000])
        r = t.tr.finalize(pid)
        assert r.one(ev.Accepted).score == (5000 + 6000) // 2
        assert [e.node for e in r.of(ev.Slashed)] == [members[1].address]

    def test_round_tooFewReveals_timesOutNothingAccepted(self, t: Driver):
        pid = t.propose()
        members = t.score(pid, [9000, None, None, 9000, None])
        r = t.tr.finalize(pid)
        assert r.one(ev.ScoringTimedOut).reveals == 2
        assert {e.node for e in r.of(ev.Slashed)} == {members[i].address for i in (1, 2, 4)}
        assert t.tr.version() == 0

    def test_committee_neverHoldsTheTrainerAndHasExactSize(self, t: Driver):
        for k in range(3):
            trainer = t.nodes[k % len(t.nodes)]
            pid = t.propose(trainer)
            members = t.dispatch(pid)
            assert len(members) == TCONFIG.committee_size and trainer not in members

    def test_proposed_smlSeedIsTheHashOfTheBlockAfterTheVersion(self, t: Driver):
        pid = t.propose()
        seed = t.tr.proposal(pid) and t.tr.version_info(0).seed
        block0 = t.tr.version_info(0).block
        assert seed == bytes(t.chain.w3.eth.get_block(block0 + 1)["hash"])
        assert t.tr.version_seed(0) == seed

    def test_stale_goneStaleWhileScored_stillAccepted_andNewProposalsOnItRefused(self, t: Driver):
        """Staleness is judged at propose: versions accepted while a proposal is scored (other trainers'
        work) never reject it; its fold weight counts them (issue 16: 9 of 30 honest proposals were lost)."""
        pids = [t.propose(t.nodes[k], base=0) for k in range(3)]
        for pid in pids:
            t.score(pid, [9000] * 5)
        t.tr.finalize(pids[0])
        t.tr.finalize(pids[1])
        assert t.tr.version() == 2
        stake = t.s.nodes.stake_of(t.nodes[2].address)
        r = t.tr.finalize(pids[2])  # base 0 is now 2 versions behind, max staleness 1
        acc = r.one(ev.Accepted)
        assert (acc.version, acc.score, acc.base_version) == (3, 9000, 0) and not r.of(ev.Slashed)
        assert t.tr.version_info(3).base_version == 0  # followers weigh it with staleness (3 - 1) - 0 = 2
        assert t.s.nodes.stake_of(t.nodes[2].address) == stake
        before = t.state()
        with pytest.raises(E.StaleBaseVersion):
            t.tr.propose(1, WEIGHTS, "w.trw", sender=t.nodes[1])
        assert t.state() == before
        t.tr.propose(2, WEIGHTS, "w.trw", sender=t.nodes[1])  # one behind: allowed

    def test_stale_belowThresholdOnAnOldBase_stillRejectedAndSlashed(self, t: Driver):
        pids = [t.propose(t.nodes[k], base=0) for k in range(2)]
        for pid in pids:
            t.score(pid, [9000] * 5 if pid == pids[0] else [200, 9000, 0, 100, 10_000])
        t.tr.finalize(pids[0])
        stake = t.s.nodes.stake_of(t.nodes[1].address)
        r = t.tr.finalize(pids[1])
        assert r.one(ev.Rejected).score == 200
        assert [e.node for e in r.of(ev.Slashed)] == [t.nodes[1].address]
        assert t.s.nodes.stake_of(t.nodes[1].address) == stake - CONFIG.slash_amount


class TestBadInput:
    def test_propose_unknownBaseVersion_refusedNothingChanged(self, t: Driver):
        t.chain.mine(1)
        before = t.state()
        with pytest.raises(E.UnknownVersion) as e:
            t.tr.propose(3, WEIGHTS, "w.trw", sender=t.nodes[0])
        assert (e.value.version, e.value.current) == (3, 0)
        assert t.state() == before

    def test_propose_zeroWeightsOrUnstaked_refused(self, t: Driver):
        t.chain.mine(1)
        before = t.state()
        with pytest.raises(E.MissingWeights):
            t.tr.propose(0, b"\0" * 32, "w.trw", sender=t.nodes[0])
        with pytest.raises(E.UnknownNode):
            t.tr.propose(0, WEIGHTS, "w.trw", sender=t.chain.accounts[15])
        assert t.state() == before

    def test_reveal_scoreOutOfRange_refusedNothingChanged(self, t: Driver):
        pid = t.propose()
        members = t.dispatch(pid)
        salts = {m.address: new_salt() for m in members}
        for m in members:
            t.tr.commit_score(pid, score_commitment(10_001, m.address, salts[m.address]), sender=m)
        before = t.state(pid)
        with pytest.raises(E.ScoreOutOfRange) as e:
            t.tr.reveal_score(pid, 10_001, salts[members[0].address], sender=members[0])
        assert e.value.score == 10_001
        assert t.state(pid) == before

    def test_reveal_mismatchOrOutsider_refused(self, t: Driver):
        pid = t.propose()
        members = t.dispatch(pid)
        salts = {m.address: new_salt() for m in members}
        for m in members:
            t.tr.commit_score(pid, score_commitment(5000, m.address, salts[m.address]), sender=m)
        before = t.state(pid)
        with pytest.raises(E.RevealMismatch):
            t.tr.reveal_score(pid, 5001, salts[members[0].address], sender=members[0])
        outsider = next(a for a in t.nodes if a not in members)
        with pytest.raises(E.NotCommitteeMember):
            t.tr.commit_score(pid, b"\1" * 32, sender=outsider)
        assert t.state(pid) == before

    def test_dispatch_beforeSeedBlockOrTwice_refused(self, t: Driver):
        pid = t.propose()
        with pytest.raises(E.SeedNotReady):
            t.tr.dispatch(pid)
        t.dispatch(pid)
        with pytest.raises(E.ProposalNotActive):
            t.tr.dispatch(pid)
        with pytest.raises(E.UnknownProposal):
            t.tr.dispatch(99)

    def test_finalize_whileRevealsOpen_refused(self, t: Driver):
        pid = t.propose()
        t.dispatch(pid)
        with pytest.raises(E.RevealWindowOpen):
            t.tr.finalize(pid)
