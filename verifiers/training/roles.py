"""Trainer, scorer and follower: the three roles of a training node, as `verifiers.agents.base.Agent`s.

Each recomputes its duties from chain state on every tick (restartable; secrets derived, not stored):
- Follower: folds every accepted version into its own copy of the global model (`update.fold`), in
  version order, each proposal's file fetched from the store and checked against its commitment, its SML
  taken out with the key derived from (base version's seed, trainer). Sends nothing. The global per
  version is kept as a cache of that pure recomputation.
- Scorer: dispatches proposals whose seed block is mined (any node may); when drawn, scores the proposal
  with the exact profile on its own validation data under the proposer's SML, commits
  keccak(bytes32(score), member, salt) with salt = derive(training, proposal id), reveals, finalizes.
  A file it cannot fetch (missing by the middle of the commit window, not the committed bytes, larger
  than the architecture's file) or evaluate scores 0, so the trainer who proposed it is rejected and slashed; each proposal's duty runs
  `isolated`, so no proposal stops the scorer serving the others.
- Trainer: with no proposal of its own open and proposals left, trains on its data from a global version
  (the newest, or, with `staleness`, one up to that many versions older, drawn at random as in BRAIN's
  experiments), maps the head into its SML, stores the file and proposes it.

Cheats: trainer `random` (random weights), `flipped` (trained on labels y -> y + 1 mod 10), `copy`
(re-submits another trainer's latest file as is), `foreign-sml` (trains under another trainer's SML);
scorer `inflate` (reveals SCORE_MAX whatever it sees), `no-reveal` (commits, never reveals).
"""
from __future__ import annotations

import numpy as np

from contracts import events as ev
from contracts.bindings.training import SCORE_MAX, ProposalStatus, score_commitment
from contracts.round import Duty, RoundView, due, seed_ready
from runtime.errors import TribunalError
from verifiers.agents.base import Agent
from verifiers.chainlog import events

from . import learn
from .data import NodeData
from .errors import TrainingError, WeightsNotFound
from .sml import Sml
from .store import WeightsStore
from .update import WINDOW, Mix, fold
from .weights import Weights, file_size

# What a proposal's file can make scoring raise, once its size and shapes are bounded by `fetch`: a file
# that is missing, not the committed bytes or malformed (TribunalError: the store's and the decoder's
# refusals), or values the exact profile refuses (TribunalError: UnsupportedOpError, CalibrationError) or
# that overflow numpy (ValueError, ArithmeticError). Each is the trainer's fault (see Scorer.honest_score).
FILE_FAULTS = (TribunalError, ValueError, ArithmeticError)


class _TrainingAgent(Agent):
    def __init__(self, deployment, account, *, store: WeightsStore, data: NodeData | None = None, **kw):
        super().__init__(deployment, account, **kw)
        self.t = deployment.training
        self.store = store
        self.data = data
        self.arch = learn.architecture(self.t.arch_id)
        # Proposed events by id, read incrementally: a cache of the chain's log (a restart re-reads it all).
        self._proposed: dict[int, ev.Proposed] = {}
        self._read_to = self.d.start_block - 1
        self._versions: dict = {}
        self._settled: set[int] = set()

    def proposals(self) -> dict[int, ev.Proposed]:
        """Every Proposed event of the task so far, by proposal id."""
        head = self.chain.block_number
        if head > self._read_to:
            for s in events(self.chain, self.t.address, ev.Proposed, from_block=self._read_to + 1, to_block=head):
                self._proposed[s.event.proposal_id] = s.event
            self._read_to = head
        return self._proposed

    def version_info(self, v: int):
        """A version's record, read once: immutable once the version exists, but for `seed`, recorded on the
        first proposal on it (read the seed from that proposal's Proposed event instead)."""
        if v not in self._versions:
            self._versions[v] = self.t.version_info(v)
        return self._versions[v]

    def open_proposal(self, pid: int):
        """The proposal's state, or None once settled (settled proposals never change: not read again)."""
        if pid in self._settled:
            return None
        p = self.t.proposal(pid)
        if p.status not in (ProposalStatus.PROPOSED, ProposalStatus.SCORING):
            self._settled.add(pid)
            return None
        return p

    def proposed(self, pid: int) -> ev.Proposed:
        found = self._proposed.get(pid) or self.proposals().get(pid)
        if found is None:
            raise TrainingError(f"proposal {pid} has no Proposed event on chain")
        return found

    def fetch(self, uri: str, commitment: bytes) -> Weights:
        """The file at `uri`, refused unless it hashes to `commitment` and holds the task's architecture;
        no more than the architecture's file size is ever read."""
        return Weights.from_bytes(self.store.get(uri, commitment, file_size(self.arch.shapes)), self.arch.shapes)


class Follower(_TrainingAgent):
    role = "follower"

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.globals: list[Weights] = []  # index: version

    def tick(self) -> int:
        # A version it cannot fold yet (a file not in the store, say) is logged; the next tick tries again.
        v = len(self.globals)
        return self.isolated(f"fold version {v}", v, lambda: self.catch_up() and 0)

    def catch_up(self) -> Weights:
        if not self.globals:
            created = events(self.chain, self.t.address, ev.TaskCreated, from_block=self.d.start_block)[0].event
            self.globals.append(self.fetch(created.uri, created.initial_weights))
        for v in range(len(self.globals), self.t.version() + 1):
            self.globals.append(self.fold_version(v))
        return self.globals[-1]

    def fold_version(self, v: int) -> Weights:
        info = self.version_info(v)
        p = self.proposed(info.proposal_id)
        sml = Sml.derive(p.sml_seed, p.trainer)  # the contract's record of the base version's seed
        plain = learn.out_of_sml(self.fetch(p.uri, info.weights), sml)
        window = [self.version_info(u).score for u in range(max(1, v - WINDOW + 1), v + 1)]
        return fold(self.globals[v - 1], plain, Mix.of(window, (v - 1) - info.base_version))


class Scorer(_TrainingAgent):
    role = "scorer"
    cheats = ("honest", "inflate", "no-reveal")

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._scores: dict[int, int] = {}  # proposal id -> score (a cache of a pure recomputation)
        self._node: tuple[bool, int] | None = None
        self._window: int | None = None

    def tick(self) -> int:
        found, index = self._index()
        sent = 0
        for pid, proposed in sorted(self.proposals().items()):
            # INVARIANT: one proposal's duty never stops the others' (a hostile file ends only its own).
            sent += self.isolated(f"proposal {pid}", pid, lambda: self.serve(pid, proposed, found, index))
        return sent

    def serve(self, pid: int, proposed: ev.Proposed, found: bool, index: int) -> int:
        """Whatever proposal `pid` needs from this node now: dispatch, commit, reveal, finalize."""
        sent, head = 0, self.chain.block_number
        p = self.open_proposal(pid)
        if p is None:
            return 0
        if p.status == ProposalStatus.PROPOSED and seed_ready(p.propose_block, head):
            sent += bool(self.send(f"dispatch {pid}", lambda: self.t.dispatch(pid, sender=self.account)))
            p = self.t.proposal(pid)
        if p.status != ProposalStatus.SCORING or not (found and p.committee >> index & 1):
            return sent
        salt = self.derive(self.t.address, pid)
        duties = due(RoundView.of(p, self.t.committee_size), index, head)
        if Duty.COMMIT in duties:
            # A file not in the store yet may still be on its way: wait for it through the first half
            # of the commit window, then it counts as never published (score 0).
            late = head >= p.commit_deadline - self._commit_window() // 2
            score = self.score(pid, proposed, missing_is_final=late)
            if score is None:
                return sent
            c = score_commitment(score, self.address, salt)
            return sent + bool(self.send(f"commit {pid}", lambda: self.t.commit_score(pid, c, sender=self.account)))
        if Duty.REVEAL in duties and self.cheat != "no-reveal":
            s = self.score(pid, proposed)
            if self.send(f"reveal {pid}", lambda: self.t.reveal_score(pid, s, salt, sender=self.account)):
                sent += 1
                duties = due(RoundView.of(self.t.proposal(pid), self.t.committee_size), index, head)
        if Duty.FINALIZE in duties:
            sent += bool(self.send(f"finalize {pid}", lambda: self.t.finalize(pid, sender=self.account)))
        return sent

    def _index(self) -> tuple[bool, int]:
        if self._node is None or not self._node[0]:  # a node's index never changes once registered
            self._node = self.chain.call(self.d.nodes.contract.functions.findIndex(self.address))
        return self._node

    def _commit_window(self) -> int:
        if self._window is None:  # immutable
            self._window = self.t.commit_window
        return self._window

    def score(self, pid: int, proposed: ev.Proposed, *, missing_is_final: bool = True) -> int | None:
        """This node's score of the proposal (cached); None while its file is missing and may still come."""
        if self.cheat == "inflate":
            return SCORE_MAX
        if pid not in self._scores:
            s = self.honest_score(proposed, missing_is_final=missing_is_final)
            if s is None:
                return None
            self._scores[pid] = s
        return self._scores[pid]

    def honest_score(self, p: ev.Proposed, *, missing_is_final: bool = True) -> int | None:
        """The exact-profile score on this node's validation data, under the proposer's SML.

        A file this node cannot have (not in the store, not the committed bytes, longer than the
        architecture's file) or cannot evaluate (another architecture, values the exact profile refuses)
        scores 0: publishing a file that is there and works is the trainer's duty, so the trainer pays for
        one that is not (rejected, slashed), never the committee (silent, slashed). What the file cannot
        cause, a fault of this machine (memory, disk, a missing package) or a bug, raises: `isolated` logs
        it and the duty is retried next tick. With `missing_is_final` false, a file not in the store yet
        gives None (wait) instead of 0."""
        try:
            weights = self.fetch(p.uri, p.weights)
            return learn.score_exact(weights, Sml.derive(p.sml_seed, p.trainer), self.data.x_val, self.data.y_val)
        except FILE_FAULTS as e:
            if isinstance(e, WeightsNotFound) and not missing_is_final:
                return None
            self.log.append({"duty": f"score {p.proposal_id}", "refused": f"{type(e).__name__}: {e}", "score": 0})
            return 0


class Trainer(_TrainingAgent):
    role = "trainer"
    cheats = ("honest", "random", "flipped", "copy", "foreign-sml")

    def __init__(self, *a, follower: Follower, proposals: int = 1, staleness: int = 0, epochs: int = 8,
                 victim: str | None = None, **kw):
        super().__init__(*a, **kw)
        self.follower, self.budget, self.staleness, self.epochs = follower, proposals, staleness, epochs
        self.victim = victim  # whose file or SML the copy / foreign-sml cheats use

    def tick(self) -> int:
        return self.isolated("propose", self.address, self.propose_next)

    def propose_next(self) -> int:
        """Trains and proposes, when none of its proposals is open and its budget allows another."""
        mine = [p for p in self.proposals().values() if p.trainer == self.address]
        if len(mine) >= self.budget or any(self.open_proposal(p.proposal_id) is not None for p in mine):
            return 0
        try:
            self.follower.catch_up()
        except TribunalError as e:  # a global version it cannot fold yet: try again next tick
            self.log.append({"duty": "propose", "refused": f"{type(e).__name__}: {e}"})
            return 0
        current = self.t.version()
        rng = np.random.default_rng(list(self.derive("base", len(mine))[:8]))
        base = max(0, current - int(rng.integers(0, min(self.staleness, self.t.max_staleness) + 1)))
        if self.chain.block_number <= self.version_info(base).block + 1:
            return 0  # the base version's seed block is not mined yet
        weights = self.make(base, self.t.version_seed(base), len(mine))
        if weights is None:
            return 0
        uri = self.store.put(weights.to_bytes())
        return bool(self.send(f"propose on {base}", lambda: self.t.propose(base, weights.commitment(), uri,
                                                                             sender=self.account)))

    def make(self, base: int, seed: bytes, k: int) -> Weights | None:
        """The weights this trainer proposes on `base` (under its SML, unless it cheats)."""
        x, y = self.data.x_train, self.data.y_train
        train_seed = int.from_bytes(self.derive("train", base, k)[:4], "big")
        if self.cheat == "random":
            return learn.initial(train_seed, self.arch)
        if self.cheat == "copy":
            theirs = [p for _, p in sorted(self.proposals().items())
                      if p.trainer != self.address and (self.victim is None or p.trainer == self.victim)]
            return self.fetch(theirs[-1].uri, theirs[-1].weights) if theirs else None
        sml = Sml.derive(seed, self.victim if self.cheat == "foreign-sml" else self.address)
        if self.cheat == "flipped":
            y = (y + 1) % 10
        start = learn.into_sml(self.follower.globals[base], sml)
        return learn.train_local(start, x, y, sml, epochs=self.epochs, seed=train_seed)
