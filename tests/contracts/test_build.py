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


def _committed() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(build.ARTIFACTS.glob("*.json"))}


def test_generatedTypes_areWhatTheCommittedArtifactsRender():
    from contracts import abigen
    from contracts.abi import GENERATED
    text = GENERATED.read_text()
    assert text == abigen.render(_committed()), "stale contracts/abi_types.py: run `python -m contracts.build`"
    version = next(iter(_committed().values()))["compiler"]["version"]
    assert version in text.splitlines()[0]


def test_check_failsWhenTheGeneratedTypesAreStale(tmp_path, monkeypatch):
    from contracts.abi import GENERATED
    stale = tmp_path / "abi_types.py"
    stale.write_text(GENERATED.read_text().replace("is not registered", "is unknown"))
    assert build.differences(_committed()) == []
    monkeypatch.setattr(build, "GENERATED", stale)
    assert build.differences(_committed()) == ["abi_types.py"]


def test_errors_messageAndDocstringFromNatSpec():
    assert str(E.UnknownModel(modelId=b"\x01")) == "model 0x01 is not registered"
    assert E.UnknownClaim.__mro__[1:3] == (E.ContractRevert, E.ContractsError)
    from bisection import errors as game
    assert issubclass(E.UnknownClaim, game.UnknownClaim) and issubclass(E.InvalidModelProof, game.UnsupportedProgram)
    assert "is provisional" in str(E.WrongHybridStatus(requestId=1, status=3, action="challenge"))


def test_structs_decodeByNameNotPosition():
    from contracts import abi, abi_types
    param = {"type": "tuple", "internalType": "struct NodeJury.Case", "components": [
        {"name": "settled", "type": "bool"}, {"name": "request", "type": "uint256"},
        {"name": "modelId", "type": "bytes32"}]}
    case = abi.value(param, (True, 7, b"\x02" * 32), abi_types.STRUCTS)
    assert case == abi_types.NodeJuryCase(request=7, model_id=b"\x02" * 32, settled=True)
