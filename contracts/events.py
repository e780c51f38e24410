"""Contract events as frozen dataclasses, and their decoding from transaction logs.

One dataclass per Solidity event, named the same, fields in snake_case in the event's order (generated
into `contracts/abi_types.py` by `python -m contracts.build`, re-exported here); `emitter` (the
contract address) and `block_number` come with every event. `decode_logs` turns a receipt's logs into
these, matching by topic across all of Tribunal's ABIs.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Iterable

from contracts import abi
from contracts import abi_types as _types
from contracts.abi import Event, snake  # noqa: F401 - re-exported

globals().update(_types.EVENTS)  # one dataclass per Solidity event, by its name


def event_classes() -> dict[str, type[Event]]:
    return dict(_types.EVENTS)


def abi_events() -> dict[bytes, dict]:
    """Every event in the committed artifacts: topic0 -> ABI entry."""
    return abi.events()


def decode_log(log: Any) -> Event | None:
    """The dataclass for one log, or None when it is not one of Tribunal's events (`abi.decode_log`)."""
    return abi.decode_log(log, _types.EVENTS, _types.STRUCTS)


def decode_logs(logs: Iterable[Any]) -> list[Event]:
    return [e for e in (decode_log(log) for log in logs) if e is not None]


def field_names(cls: type[Event]) -> list[str]:
    return [f.name for f in fields(cls) if f.name not in ("emitter", "block_number")]


def topic_of(cls: type[Event]) -> bytes:
    """topic0 of an event class (the class and the Solidity event share a name)."""
    return abi.topic(cls.__name__)
