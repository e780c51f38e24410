"""Bad input: a one-line error naming the problem, exit status 2 on the command line, and nothing sent."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.errors import InputDtypeError, InputShapeError, UnknownModelError
from verifiers.cli import main
from verifiers.errors import BondBelowMinimum, FeeBelowMinimum, UnknownCheat, UnknownMode

from .conftest import MODEL


def _fails(capsys, argv, *words) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ")
    for w in words:
        assert w in err, err
    return err


def test_infer_unknownModel_exits2NamingIt(capsys):
    _fails(capsys, ["infer", "no-such-model", "--mode", "brain"], "no-such-model")


def test_infer_unknownMode_exits2NamingIt(capsys):
    _fails(capsys, ["infer", MODEL, "--mode", "telepathy"], "telepathy", "brain")


def test_infer_wrongInputShape_exits2NamingShape(capsys, tmp_path):
    f = tmp_path / "x.npy"
    np.save(f, np.zeros((1, 63), np.float32))
    _fails(capsys, ["infer", MODEL, "--input", str(f)], "shape", "63")


def test_infer_wrongInputDtype_exits2NamingDtype(capsys, tmp_path):
    f = tmp_path / "x.npy"
    np.save(f, np.zeros((1, 64), np.int64))
    _fails(capsys, ["infer", MODEL, "--input", str(f)], "float32", "int64")


def test_infer_unreachableRpc_exits2NamingUrl(capsys):
    _fails(capsys, ["infer", MODEL, "--chain", "http://127.0.0.1:9"], "http://127.0.0.1:9")


def test_infer_feeBelowMinimum_exits2NamingFee(capsys):
    _fails(capsys, ["infer", MODEL, "--fee", "1"], "fee 1 wei", "minimum")


def test_infer_bondBelowMinimum_exits2NamingBond(capsys):
    _fails(capsys, ["infer", MODEL, "--mode", "opml", "--bond", "1"], "bond 1 wei", "minimum")


def test_infer_unknownCheat_exits2NamingIt(capsys):
    _fails(capsys, ["infer", MODEL, "--mode", "opml", "--cheat", "bribery"], "bribery")


@pytest.mark.slow
@pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
@pytest.mark.parametrize("call, error", [
    (lambda t, x: t.infer("no-such-model", x), UnknownModelError),
    (lambda t, x: t.infer(MODEL, x[:, :10]), InputShapeError),
    (lambda t, x: t.infer(MODEL, x.astype(np.int32)), InputDtypeError),
    (lambda t, x: t.infer(MODEL, x, fee=1), FeeBelowMinimum),
    (lambda t, x: t.infer(MODEL, x, mode="opml", fee=1), FeeBelowMinimum),
    (lambda t, x: t.infer(MODEL, x, mode="nope"), UnknownMode),
], ids=["unknown-model", "shape", "dtype", "fee-brain", "fee-opml", "mode"])
def test_api_badRequest_raisesAndSendsNothing(tribunal, sample, call, error):
    before = tribunal.chain.block_number
    with pytest.raises(error):
        call(tribunal, sample)
    assert tribunal.chain.block_number == before


@pytest.mark.slow
@pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
def test_agents_badBondOrStrategy_raiseBeforeActing(tribunal):
    from verifiers.agents.member import Member
    from verifiers.agents.submitter import Submitter

    acct = tribunal.chain.accounts[20]
    with pytest.raises(BondBelowMinimum, match="bond 1 wei"):
        Submitter(tribunal.deployment, acct, bond=1)
    with pytest.raises(UnknownCheat, match="bribery"):
        Member(tribunal.deployment, acct, cheat="bribery")


@pytest.mark.slow
@pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
def test_api_registeredModel_wrongLengthInput_refusedOnChainByName(tribunal, sample):
    """A model registered through the API (`Tribunal.ensure_registered`, `tribunal models register`) has its
    input size proven on chain: Brain refuses a wrong-length OUTPUT_ROOT input by name, changing nothing."""
    from contracts import errors as E
    from contracts.bindings.brain import ResultKind

    d, entry = tribunal.deployment, tribunal.model("toy")
    assert not d.system.models.exists(entry.model_id)
    tribunal.ensure_registered(entry)
    size = len(entry.encode(np.zeros(entry.model.default_shape(), entry.model.spec.dtype), ResultKind.OUTPUT_ROOT))
    assert d.system.models.input_bytes_of(entry.model_id) == size
    tribunal.ensure_registered(entry)  # proven once: nothing more to write
    brain, block, next_id = d.brain, tribunal.chain.block_number, d.brain.next_request_id()
    for wrong in (b"\x00" * 3, b"\x00" * (size + 2)):
        with pytest.raises(E.InputSizeMismatch):
            brain.request(entry.model_id, wrong, fee=d.system.config.min_fee, sender=tribunal.requester)
    assert (tribunal.chain.block_number, brain.next_request_id()) == (block, next_id)
