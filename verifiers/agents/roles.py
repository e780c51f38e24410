"""The roles a node can run (`tribunal node --role NAME`, `Tribunal.start_agents`): one explicit table.

Each name maps to the class that plays it. "member" and "watcher" are the hybrid classes, which do
everything the plain Member and Watcher do plus the hybrid court's duties; the plain classes stay
importable for a test or a tool that wants only BRAIN's or only opML's duties. A new role is a class
(see `verifiers.agents.base`) and one line here.
"""
from __future__ import annotations

from verifiers.agents.base import Agent
from verifiers.agents.hybrid import HybridMember, HybridWatcher
from verifiers.agents.submitter import Submitter
from verifiers.errors import UnknownRole
from verifiers.shard.member_node import ShardMemberNode
from verifiers.shard.node import ShardNode
from verifiers.training.roles import Follower, Scorer, Trainer

ROLES: dict[str, type[Agent]] = {
    "member": HybridMember,  # Brain committees (commit, reveal, decline) and hybrid votes, publishing, defense
    "submitter": Submitter,  # answers opML requests with bonded claims and defends them
    "watcher": HybridWatcher,  # disputes wrong opML claims and wrong hybrid answers, adopts its own
    "follower": Follower,  # training: follows accepted weight updates
    "scorer": Scorer,  # training: scores proposed updates
    "trainer": Trainer,  # training: proposes weight updates
    "shard": ShardNode,  # sharded inference: serves, checks and defends boundaries of the shards it holds
    "shard-member": ShardMemberNode,  # sharded brain/hybrid: a shard node that also votes in its shards' Brain rounds
}


def role(name: str) -> type[Agent]:
    """The class that plays role `name` (UnknownRole, naming the roles there are, for another name)."""
    if name not in ROLES:
        raise UnknownRole(f"unknown role '{name}' (have: {', '.join(sorted(ROLES))})")
    return ROLES[name]
