"""The compiled artifacts match the sources; errors and events map one to one onto Python classes."""
from __future__ import annotations

import json

import pytest

from contracts import build
from contracts import errors as E
from contracts.events import abi_events, event_classes, field_names, snake


@pytest.mark.slow
def test_artifacts_matchSourcesCompiledByPinnedSolc():
    artifacts = build.compile_sources()
    assert build.differences(artifacts) == [], "stale artifacts: run `python -m contracts.build`"
    pinned = json.loads((build.ROOT / "package.json").read_text())["devDependencies"]["solc"]
    assert all(a["compiler"]["version"].startswith(pinned + "+") for a in artifacts.values())


def test_errors_oneClassPerSolidityError():
    in_abis = {name for name, _ in E.abi_errors().values()}
    assert set(E.error_classes()) == in_abis
    for cls in [*E.error_classes().values(), E.ContractsError, E.BuildError, E.ChainUnavailableError,
                E.TransactionFailedError, E.UnknownRevert, E.RevertedWithReason, E.Panic]:
        assert issubclass(cls, E.TribunalError) and cls.__doc__.startswith("Raised when"), cls


def test_errors_decodeBySelectorWithNamedFields():
    from eth_abi import encode
    from eth_utils import keccak
    data = keccak(text="RevealMismatch(uint256,address)")[:4] + encode(["uint256", "address"], [7, "0x" + "ab" * 20])
    err = E.decode_revert(data)
    assert type(err) is E.RevealMismatch and err.requestId == 7 and "request 7" in str(err)
    assert type(E.decode_revert(b"")) is E.UnknownRevert
    assert type(E.decode_revert(keccak(text="Panic(uint256)")[:4] + encode(["uint256"], [0x11]))) is E.Panic


def test_events_oneDataclassPerEvent():
    by_name = {item["name"]: item for item in abi_events().values()}
    assert set(by_name) == set(event_classes())
    for name, item in by_name.items():
        assert field_names(event_classes()[name]) == [snake(i["name"]) for i in item["inputs"]]
