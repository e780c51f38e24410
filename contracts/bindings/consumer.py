"""Binding of ExampleConsumer: the results delivered to it by its oracles."""
from __future__ import annotations

from contracts.bindings.base import Binding, view


class ExampleConsumer(Binding):
    artifact_name = "ExampleConsumer"

    result_of = view("resultOf", "(oracle, request_id): the result `oracle` delivered for the request.")
    received = view("received")
    is_oracle = view("isOracle")
