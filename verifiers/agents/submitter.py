"""The opML submitter (duties land with the opml mode)."""
from __future__ import annotations

from verifiers.agents.base import Agent, register_role


@register_role
class Submitter(Agent):
    role = "submitter"

    def tick(self) -> int:
        return 0
