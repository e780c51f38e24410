"""The opML watcher (duties land with the opml mode)."""
from __future__ import annotations

from verifiers.agents.base import Agent, register_role


@register_role
class Watcher(Agent):
    role = "watcher"

    def tick(self) -> int:
        return 0
