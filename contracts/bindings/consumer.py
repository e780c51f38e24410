"""Binding of ExampleConsumer: the results delivered to it by its oracles."""
from __future__ import annotations

from contracts.bindings.base import Binding


class ExampleConsumer(Binding):
    artifact_name = "ExampleConsumer"

    def result_of(self, oracle: str, request_id: int) -> bytes:
        return self._view("resultOf", oracle, request_id)

    def received(self) -> int:
        return self._view("received")

    def is_oracle(self, account: str) -> bool:
        return self._view("isOracle", account)
