"""The one ABI helper: what the Python side needs of the compiled artifacts' ABIs, and the bases of the
types `python -m contracts.build` generates from them (`contracts/abi_types.py`: one exception class per
custom error, one frozen dataclass per event and per struct).

Everything is matched by name, never by position: an error's arguments become attributes named as in
Solidity, an event's and a struct's fields are the snake_case of theirs, so reordering a struct or an
event in Solidity regenerates the types and leaves their users alone.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from runtime.errors import TribunalError

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
GENERATED = Path(__file__).resolve().parent / "abi_types.py"


class ContractsError(TribunalError):
    """Raised when the contract layer reports a fault; the root of `contracts.errors`."""


class BuildError(ContractsError):
    """Raised when the Solidity sources cannot be compiled (no node, no npm solc, compiler errors)."""


class ContractRevert(ContractsError):
    """Raised when a contract call or transaction reverts; the base of the one-class-per-error map."""

    template: ClassVar[str] = "reverted"

    def __init__(self, **fields: Any):
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)
        try:
            message = self.template.format(**{k: _show(v) for k, v in fields.items()})
        except (KeyError, IndexError):
            message = f"{type(self).__name__}({', '.join(f'{k}={_show(v)}' for k, v in fields.items())})"
        super().__init__(message)


def _show(value: Any) -> Any:
    return "0x" + value.hex() if isinstance(value, bytes) else value


class UnknownRevert(ContractRevert):
    """Raised when revert data matches no known error (empty data: out of gas, or a bare revert)."""

    template = "reverted with unrecognised data {data}"


class RevertedWithReason(ContractRevert):
    """Raised when a contract reverts with a string reason (`Error(string)`)."""

    template = "reverted: {reason}"


class Panic(ContractRevert):
    """Raised when a contract hits a Solidity panic (`Panic(uint256)`: overflow, bad index, ...)."""

    template = "panic {code:#x} (0x11 overflow, 0x12 division by zero, 0x32 index out of bounds)"


@dataclass(frozen=True)
class Event:
    """A decoded log: the event's fields, then where it came from."""

    emitter: str = field(default="", kw_only=True)
    block_number: int = field(default=0, kw_only=True)


@dataclass(frozen=True)
class Struct:
    """A Solidity struct read back from a call, fields by name."""


# ---------------------------------------------------------------- the ABIs


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def canonical(param: Mapping) -> str:
    """The canonical type of an ABI parameter (tuples spelled out), as in signatures and eth_abi."""
    if param["type"].startswith("tuple"):
        return "(" + ",".join(canonical(c) for c in param["components"]) + ")" + param["type"][5:]
    return param["type"]


def signature(item: Mapping) -> str:
    return f"{item['name']}({','.join(canonical(i) for i in item['inputs'])})"


def struct_name(param: Mapping) -> str | None:
    """`Contract.Struct` (or a file-level `Struct`) of a struct parameter, arrays stripped; else None."""
    internal = param.get("internalType") or ""
    return internal[len("struct "):].split("[")[0] if internal.startswith("struct ") else None


@lru_cache(maxsize=None)
def artifact(name: str) -> dict:
    """The committed compiler output for contract `name` (abi, bytecode, compiler)."""
    path = ARTIFACTS / f"{name}.json"
    if not path.exists():
        raise BuildError(f"no compiled artifact for contract {name}; run `python -m contracts.build`")
    return json.loads(path.read_text())


@lru_cache(maxsize=1)
def _entries() -> tuple[dict[bytes, dict], dict[bytes, dict]]:
    errors, events = {}, {}
    for path in sorted(ARTIFACTS.glob("*.json")):
        for item in artifact(path.stem)["abi"]:
            if item["type"] == "error":
                errors[keccak(text=signature(item))[:4]] = item
            elif item["type"] == "event":
                events[keccak(text=signature(item))] = item
    return errors, events


def errors() -> dict[bytes, dict]:
    """Every custom error in the committed artifacts: selector -> ABI entry."""
    return _entries()[0]


def events() -> dict[bytes, dict]:
    """Every event in the committed artifacts: topic0 -> ABI entry."""
    return _entries()[1]


def topic(event_name: str) -> bytes:
    """topic0 of the event named `event_name`."""
    for t, item in events().items():
        if item["name"] == event_name:
            return t
    raise KeyError(f"no ABI event named {event_name}")


def key_topic(key: int) -> bytes:
    """The topic of an indexed uint256 (a request, claim or game id)."""
    return abi_encode(["uint256"], [key])


@lru_cache(maxsize=None)
def function(contract: str, name: str) -> dict:
    """The ABI entry of `contract`'s function `name` (the first, for an overloaded name)."""
    for item in artifact(contract)["abi"]:
        if item["type"] == "function" and item["name"] == name:
            return item
    raise KeyError(f"{contract} has no function {name}")


@lru_cache(maxsize=None)
def _encoder(contract: str, name: str) -> tuple[bytes, list[str]]:
    item = function(contract, name)
    return keccak(text=signature(item))[:4], [canonical(i) for i in item["inputs"]]


def calldata(contract: str, name: str, args: Iterable[Any]) -> str:
    """0x-hex calldata of `contract.name(args)`: selector and eth_abi encoding (cached per function;
    web3's encoder re-validates the ABI on every call)."""
    selector, types = _encoder(contract, name)
    return "0x" + (selector + abi_encode(types, list(args))).hex()


# ---------------------------------------------------------------- decoding by name


def value(param: Mapping, raw: Any, structs: Mapping[str, type]) -> Any:
    """A decoded ABI value with every struct in it turned into its generated class, fields by name;
    addresses checksummed; anything else as eth_abi / web3 returned it."""
    if param["type"] == "address":
        return to_checksum_address(raw)
    if "components" not in param:
        return raw
    if param["type"].endswith("]"):
        inner = {**param, "type": param["type"][:param["type"].rindex("[")]}
        return [value(inner, r, structs) for r in raw]
    cls = structs.get(struct_name(param) or "")
    named = {snake(c["name"]): value(c, r, structs) for c, r in zip(param["components"], raw)}
    return cls(**named) if cls is not None else tuple(named.values())


def outputs(item: Mapping, raw: Any, structs: Mapping[str, type]) -> Any:
    """A function's return value as web3 gives it (one value, or a list of several), structs by name."""
    outs = item["outputs"]
    if len(outs) == 1:
        return value(outs[0], raw, structs)
    return [value(p, r, structs) for p, r in zip(outs, raw)]


_ERROR = keccak(text="Error(string)")[:4]
_PANIC = keccak(text="Panic(uint256)")[:4]


def decode_revert(data: bytes | str | None, classes: Mapping[str, type[ContractRevert]]) -> ContractRevert:
    """The exception for a revert's return data (bytes or 0x-hex): `classes` by Solidity error name."""
    if isinstance(data, str):
        data = bytes.fromhex(data[2:] if data.startswith("0x") else data)
    data = data or b""
    selector, body = data[:4], data[4:]
    if selector == _ERROR:
        return RevertedWithReason(reason=abi_decode(["string"], body)[0])
    if selector == _PANIC:
        return Panic(code=abi_decode(["uint256"], body)[0])
    item = errors().get(selector)
    cls = classes.get(item["name"]) if item else None
    if cls is None:
        return UnknownRevert(data=data)
    raw = abi_decode([canonical(i) for i in item["inputs"]], body)
    return cls(**{p["name"] or f"arg{n}": value(p, r, {}) for n, (p, r) in enumerate(zip(item["inputs"], raw))})


def decode_log(log: Any, classes: Mapping[str, type[Event]], structs: Mapping[str, type] = {}) -> Event | None:
    """The event class instance for one log, or None when it is not one of `classes`: another event, or
    a log that reuses one of their signatures with other fields (any contract can emit any topic; a
    consumer's callback puts its logs in the receipt of the transaction that delivered to it)."""
    topics = [bytes(t) for t in log["topics"]]
    item = events().get(topics[0]) if topics else None
    cls = classes.get(item["name"]) if item else None
    if cls is None:
        return None
    indexed = [i for i in item["inputs"] if i["indexed"]]
    plain = [i for i in item["inputs"] if not i["indexed"]]
    if len(topics) != 1 + len(indexed):
        return None
    fields = {}
    try:
        for param, t in zip(indexed, topics[1:]):
            fields[snake(param["name"])] = value(param, abi_decode([canonical(param)], t)[0], structs)
        for param, raw in zip(plain, abi_decode([canonical(p) for p in plain], bytes(log["data"]))):
            fields[snake(param["name"])] = value(param, raw, structs)
    except Exception:  # noqa: BLE001 - eth_abi's decoding errors: these bytes are not this event's fields
        return None
    return cls(**fields, emitter=to_checksum_address(log["address"]), block_number=int(log["blockNumber"]))
