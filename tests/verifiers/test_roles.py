"""The roles table (`verifiers.agents.roles`): what `tribunal node --role NAME` runs, stated in one place."""
from __future__ import annotations

import pytest

from verifiers.agents.base import Agent
from verifiers.agents.hybrid import HybridMember, HybridWatcher
from verifiers.agents.member import Member
from verifiers.agents.roles import ROLES, role
from verifiers.agents.submitter import Submitter
from verifiers.agents.watcher import Watcher
from verifiers.errors import UnknownRole


def test_member_and_watcher_are_the_hybrid_classes_by_the_table_not_by_import_order():
    assert role("member") is HybridMember and issubclass(HybridMember, Member)
    assert role("watcher") is HybridWatcher and issubclass(HybridWatcher, Watcher)
    assert role("submitter") is Submitter
    # importing the plain modules again changes nothing: no registration happens on import
    import importlib

    import verifiers.agents.member
    import verifiers.agents.watcher

    importlib.reload(verifiers.agents.member)
    importlib.reload(verifiers.agents.watcher)
    assert role("member") is HybridMember and role("watcher") is HybridWatcher


def test_every_role_names_itself_and_offers_honest_first():
    assert set(ROLES) == {"member", "submitter", "watcher", "follower", "scorer", "trainer", "shard",
                          "shard-member"}
    for name, cls in ROLES.items():
        assert issubclass(cls, Agent) and cls.role == name, (name, cls)
        assert cls.cheats[0] == "honest", (name, cls.cheats)


def test_an_unknown_role_names_the_roles_there_are():
    with pytest.raises(UnknownRole, match="unknown role 'juror'.*member.*watcher"):
        role("juror")
