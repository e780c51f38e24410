"""Errors of the contract layer, under `runtime.errors.TribunalError`.

Every Solidity custom error that any of Tribunal's contracts can revert with (its own, in
`contracts/src/Errors.sol`, and OpenZeppelin's that its ABIs carry) has exactly one class here with
the same name: generated into `contracts/abi_types.py` by `python -m contracts.build` (message and
docstring from the error's NatSpec) and re-exported here. `decode_revert` maps revert data to it by
selector, the error's arguments becoming attributes named as in Solidity.
"""
from __future__ import annotations

from typing import Any

from contracts import abi
from contracts import abi_types as _types
from contracts.abi import (ARTIFACTS, BuildError, ContractRevert, ContractsError, Panic,  # noqa: F401 - re-exported
                           RevertedWithReason, UnknownRevert)
from runtime.errors import TribunalError  # noqa: F401 - the root, for callers of this module


globals().update(_types.ERRORS)  # one class per Solidity error, by its name


class ChainUnavailableError(ContractsError):
    """Raised when a chain cannot be reached or started (unreachable RPC URL, anvil did not start)."""


class JuryGasTooLow(ContractsError):
    """Raised when a NodeJury would be deployed with less callback gas than ending a game by verdict takes."""


class TransactionFailedError(ContractsError):
    """Raised when a mined transaction failed and its revert cannot be reproduced to name the cause."""


# HybridCourt.Status, by value (contracts/src/hybrid/HybridCourt.sol).
HYBRID_STATUSES = ("none", "pending", "decided", "provisional", "challenged", "defended", "overturned", "final",
                   "timed out")


class _NamesHybridStatus(ContractRevert):
    """Adds `statusName` (the hybrid status by name) to an error that carries a HybridCourt `status`."""

    def __init__(self, **fields: Any):
        status = fields.get("status", -1)
        name = HYBRID_STATUSES[status] if 0 <= status < len(HYBRID_STATUSES) else str(status)
        super().__init__(**fields, statusName=name)


class WrongHybridStatus(_NamesHybridStatus, _types.WrongHybridStatus):
    __doc__ = _types.WrongHybridStatus.__doc__


class NothingToResolve(_NamesHybridStatus, _types.NothingToResolve):
    __doc__ = _types.NothingToResolve.__doc__


class AnswerNotFinal(_NamesHybridStatus, _types.AnswerNotFinal):
    __doc__ = _types.AnswerNotFinal.__doc__


def error_classes() -> dict[str, type[ContractRevert]]:
    """The classes that stand for Solidity custom errors, by Solidity name."""
    return {**_types.ERRORS, **{c.__name__: c for c in (WrongHybridStatus, NothingToResolve, AnswerNotFinal)}}


def abi_errors() -> dict[bytes, tuple[str, list[dict]]]:
    """Every custom error in the committed artifacts: selector -> (name, inputs)."""
    return {s: (item["name"], item["inputs"]) for s, item in abi.errors().items()}


def decode_revert(data: bytes | str | None) -> ContractRevert:
    """The exception for a revert's return data (bytes or 0x-hex)."""
    return abi.decode_revert(data, error_classes())
