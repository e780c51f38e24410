"""Bad input gets one clear error naming the problem, from the library and from the CLI."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from onnx import helper

from runtime.errors import InputDtypeError, InputShapeError, ModelFormatError, UnknownModelError, UnsupportedOpError
from runtime.model import Model

from .graphs import graph


@pytest.fixture
def selu_file(tmp_path):
    import onnx

    nodes = [helper.make_node("Relu", ["x"], ["r"], name="first"), helper.make_node("Selu", ["r"], ["y"], name="squash")]
    path = tmp_path / "selu.onnx"
    onnx.save(graph(nodes, ("batch", 4), {}, out_shape=("batch", 4)), path)
    return path


def test_malformedFile_isModelFormatError(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not protobuf \x00\x01\x02" * 10)
    with pytest.raises(ModelFormatError, match="bad.onnx"):
        Model.load(bad)


def test_unknownModel_isUnknownModelError():
    with pytest.raises(UnknownModelError, match="no-such-model"):
        Model.load("no-such-model")


def test_unsupportedOp_namesNodeAndOp_atLoad(selu_file):
    Model.load(selu_file)  # the fast profile takes any op
    with pytest.raises(UnsupportedOpError, match=r"node 'squash' \(op Selu\)"):
        Model.load(selu_file, profile="exact")


@pytest.mark.parametrize("profile", ["fast", "exact"])
def test_wrongShape_isInputShapeError(profile):
    m = Model.load("digits-mlp")
    run = m.run_fast if profile == "fast" else m.run_exact
    with pytest.raises(InputShapeError, match=r"must have shape \[\?, 64\], got \[1, 63\]"):
        run(np.zeros((1, 63), np.float32))


@pytest.mark.parametrize("profile", ["fast", "exact"])
def test_wrongDtype_isInputDtypeError(profile):
    m = Model.load("digits-mlp")
    run = m.run_fast if profile == "fast" else m.run_exact
    with pytest.raises(InputDtypeError, match="must be float32, got int64"):
        run(np.zeros((1, 64), np.int64))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "verifiers.cli", *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", ["malformed", "unsupported", "shape", "dtype", "unknown", "sample"])
def test_cli_badInput_oneLineError_noTraceback(case, tmp_path, selu_file):
    if case == "malformed":
        (tmp_path / "m.onnx").write_text("nope")
        args = ["run", tmp_path / "m.onnx"]
    elif case == "unsupported":
        args = ["run", selu_file, "--profile", "exact"]
    elif case in ("shape", "dtype"):
        np.save(tmp_path / "x.npy", np.zeros((1, 3), np.float32) if case == "shape" else np.zeros((1, 64), np.int32))
        args = ["run", "digits-mlp", "--input", tmp_path / "x.npy"]
    elif case == "unknown":
        args = ["run", "nope-model"]
    else:
        args = ["run", "digits-mlp", "--sample", "100000"]
    r = cli(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
