"""A whole federated session on one chain: N nodes, each a trainer, a scorer and a follower, ticked by
the in-process `Scheduler` (a block is mined whenever nobody had anything to do).

    result = run_session(connect("embedded"), SessionConfig(nodes=5, rounds=2), store)

Returns a dict: per-version global test accuracy (follower 0's copy; float forward on the held-out test
split), every proposal with its trainer's strategy, median score and outcome, gas per transaction kind,
and whether every follower ended with bit-identical global weights.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from contracts import events as ev
from contracts.bindings.training import SCORE_MAX, ProposalStatus, Training, TrainingConfig
from contracts.chain.base import Chain
from contracts.deploy import ETHER, SystemConfig, deploy, deploy_training
from verifiers.agents.base import Scheduler
from verifiers.chainlog import events
from verifiers.deployment import Deployment

from . import learn
from .data import ALPHA, digits, split_nodes
from .errors import InvalidSession
from .roles import Follower, Scorer, Trainer
from .store import WeightsStore
from .update import MAX_STALENESS
from .weights import Weights

STAKE = 2 * ETHER
# Long windows: every transaction mines a block on the dev chains, and several rounds run at once.
CHAIN_CONFIG = SystemConfig(withdrawal_delay=300, commit_window=64, reveal_window=64)


@dataclass(frozen=True)
class SessionConfig:
    nodes: int = 5
    rounds: int = 2  # proposals per trainer
    committee: int | None = None  # default: min(5, nodes - 1)
    epochs: int = 8
    staleness: int = MAX_STALENESS  # a trainer's base is up to this many versions old, drawn at random
    alpha: float = ALPHA
    seed: int = 0
    threshold: int = 1250
    trainer_cheats: dict = field(default_factory=dict)  # node index -> Trainer cheat
    scorer_cheats: dict = field(default_factory=dict)  # node index -> Scorer cheat
    max_blocks: int = 5000

    def __post_init__(self):
        """Refuses a session that could not run as asked (InvalidSession), before anything is deployed."""
        if self.nodes < 3:
            raise InvalidSession(f"a session needs at least 3 nodes (a trainer and a committee of 2), got {self.nodes}")
        if self.committee is not None and not 1 <= self.committee <= self.nodes - 1:
            raise InvalidSession(f"a committee of {self.committee} with {self.nodes} nodes: it must be 1..{self.nodes - 1} "
                                 f"(the trainer never scores itself)")
        for name, low, high in (("rounds", 1, None), ("epochs", 1, None), ("staleness", 0, MAX_STALENESS),
                                ("threshold", 1, SCORE_MAX)):
            value = getattr(self, name)
            if value < low or (high is not None and value > high):
                raise InvalidSession(f"{name} must be {f'in {low}..{high}' if high is not None else f'at least {low}'}, "
                                     f"got {value}")
        for role, cheats in ((Trainer, self.trainer_cheats), (Scorer, self.scorer_cheats)):
            for node, cheat in cheats.items():
                if not 0 <= node < self.nodes:
                    raise InvalidSession(f"no node {node} to cheat as a {role.role} (nodes are 0..{self.nodes - 1})")
                if cheat not in role.cheats:
                    raise InvalidSession(f"the {role.role} role has no strategy '{cheat}' (have: {', '.join(role.cheats)})")

    @property
    def committee_size(self) -> int:
        return self.committee or min(5, self.nodes - 1)


def run_session(chain: Chain, cfg: SessionConfig, store: WeightsStore,
                progress: Callable[[dict], None] | None = None) -> dict:
    committee = cfg.committee_size
    if cfg.nodes + 1 > len(chain.accounts):  # account 0 deploys
        raise InvalidSession(f"the {chain.kind} chain has {len(chain.accounts)} funded accounts: at most "
                             f"{len(chain.accounts) - 1} nodes, got {cfg.nodes}")
    t0 = time.perf_counter()
    task = deploy_task(chain, cfg, store)
    d, training, accounts, w0 = task.deployment, task.training, task.accounts, task.initial
    data = split_nodes(cfg.nodes, alpha=cfg.alpha, seed=cfg.seed)
    _, _, x_test, y_test = digits()
    followers, trainers, sched = [], [], Scheduler()
    for i, a in enumerate(accounts):
        f = Follower(d, a, store=store, name=f"follower-{i}")
        victim = accounts[(i + 1) % cfg.nodes].address
        tr = Trainer(d, a, store=store, data=data[i], follower=f, proposals=cfg.rounds, staleness=cfg.staleness,
                     epochs=cfg.epochs, cheat=cfg.trainer_cheats.get(i, "honest"), victim=victim, name=f"trainer-{i}")
        sc = Scorer(d, a, store=store, data=data[i], cheat=cfg.scorer_cheats.get(i, "honest"), name=f"scorer-{i}")
        followers.append(f)
        trainers.append(tr)
        for agent in (f, sc, tr):
            sched.add(agent)
    curve = [{"version": 0, "accuracy": learn.accuracy(w0, x_test, y_test), "block": chain.block_number}]
    expected = cfg.nodes * cfg.rounds
    for _ in range(cfg.max_blocks):
        sent = sched.tick()
        v = training.version()
        if len(curve) <= v:
            followers[0].catch_up()
        while len(curve) <= v:
            g = followers[0].globals[len(curve)]
            curve.append({"version": len(curve), "accuracy": learn.accuracy(g, x_test, y_test), "block": chain.block_number})
            if progress:
                progress({"version": len(curve) - 1, "accuracy": curve[-1]["accuracy"], "expected": expected})
        if sent == 0:
            if _all_settled(training, expected):
                break
            chain.mine(1)
    finals = [f.catch_up().to_bytes() for f in followers]
    proposals = _proposals(chain, training, d.start_block, accounts, cfg)
    return {
        "nodes": cfg.nodes, "rounds": cfg.rounds, "committee": committee, "alpha": cfg.alpha,
        "threshold": cfg.threshold, "training": training.address, "chain": chain.kind,
        "accuracy": curve[-1]["accuracy"], "curve": curve,
        "accepted": sum(p["status"] == "accepted" for p in proposals),
        "rejected": sum(p["status"] == "rejected" for p in proposals),
        "timed_out": sum(p["status"] == "timed_out" for p in proposals),
        "proposals": proposals,
        "followers_identical": all(b == finals[0] for b in finals),
        "global_sha256": "0x" + Weights.from_bytes(finals[0]).commitment().hex(),
        "gas": _gas(followers + trainers + [a for a in sched.agents if isinstance(a, Scorer)], training),
        "local_accuracy": [learn.accuracy(learn.train_local(w0, dn.x_train, dn.y_train, None, epochs=cfg.epochs,
                                                            seed=cfg.seed), x_test, y_test) for dn in data[:1]],
        "seconds": time.perf_counter() - t0,
        "_followers": followers,
    }


@dataclass(frozen=True)
class Task:
    deployment: Deployment  # its `training` is the Training contract
    training: Training
    accounts: list  # the nodes' accounts, registered with STAKE each
    initial: Weights  # version 0, already in the store


def deploy_task(chain: Chain, cfg: SessionConfig, store: WeightsStore) -> Task:
    """A fresh system with `cfg.nodes` staked nodes and a training task on it, version 0 in `store`."""
    start = chain.block_number
    system = deploy(chain, CHAIN_CONFIG)
    accounts = chain.accounts[1:1 + cfg.nodes]
    for a in accounts:
        system.nodes.register(STAKE, sender=a)
    w0 = learn.initial(cfg.seed)
    uri0 = store.put(w0.to_bytes())
    tcfg = TrainingConfig(arch_id=learn.DIGITS_MLP_SML.arch_id, initial_weights=w0.commitment(), threshold=cfg.threshold,
                          committee_size=cfg.committee_size, commit_window=64, reveal_window=64,
                          max_staleness=MAX_STALENESS)
    training = deploy_training(chain, system.nodes, tcfg, initial_uri=uri0, fund=10 * ETHER)
    # BRAIN inference and opML are not part of a training session: their fields stay empty.
    d = Deployment(chain=chain, system=system, opml=None, requests=None, start_block=start, training=training)
    return Task(d, training, accounts, w0)


def _all_settled(training, expected: int) -> bool:
    n = training.next_proposal_id() - 1
    if n < expected:
        return False
    return all(training.proposal(p).status not in (ProposalStatus.PROPOSED, ProposalStatus.SCORING)
               for p in range(1, n + 1))


def _proposals(chain, training, start, accounts, cfg) -> list[dict]:
    index = {a.address: i for i, a in enumerate(accounts)}
    out = []
    for s in events(chain, training.address, ev.Proposed, from_block=start):
        p = training.proposal(s.event.proposal_id)
        i = index[s.event.trainer]
        out.append({"id": s.event.proposal_id, "trainer": i, "cheat": cfg.trainer_cheats.get(i, "honest"),
                    "base": p.base_version, "score": p.score, "version": p.version,
                    "status": p.status.name.lower()})
    return out


def _gas(agents, training) -> dict:
    """Mean gas per transaction kind, from the agents' logs; finalize split by outcome."""
    kinds: dict[str, list[int]] = {}
    for a in agents:
        for entry in a.log:
            if entry.get("gas") is None:
                continue
            duty = entry["duty"].split()[0]
            if duty == "finalize":
                status = training.proposal(int(entry["duty"].split()[1])).status
                duty = "finalize_accept" if status == ProposalStatus.ACCEPTED else "finalize_reject"
            kinds.setdefault(duty, []).append(entry["gas"])
    return {k: int(np.mean(v)) for k, v in sorted(kinds.items())}
