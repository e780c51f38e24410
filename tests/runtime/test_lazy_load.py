"""A big model file's inline weights stay in the file (runtime.onnx_io): parsed without them, each
is read memory-mapped from its byte range when a node needs it, with the same exact bits."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

import runtime.onnx_io
from runtime.errors import ModelFormatError
from runtime.model import Model
from runtime.onnx_io import load_onnx
from runtime.weights import is_external


@pytest.fixture
def lazy(monkeypatch):
    monkeypatch.setattr(runtime.onnx_io, "LAZY_FILE_BYTES", 0)  # every file is "big"


def test_inlineWeights_stayInTheFile_sameExactBits(lazy, tmp_path, monkeypatch):
    inline = Model.load("gpt2-tiny")
    x = np.zeros(inline.default_shape(), dtype=inline.spec.dtype)
    want = inline.run_exact(x).output_root
    monkeypatch.chdir(tmp_path)  # the weights are found beside the model, not here
    m = Model.load(inline.source)
    big = [t for t in m.proto.graph.initializer if is_external(t)]
    assert big and all(t.external_data[0].value == inline.source.name for t in big)
    assert m.proto.ByteSize() < inline.source.stat().st_size / 2
    m.set_calibration(inline.max_abs)
    assert m.run_exact(x).output_root == want
    assert np.array_equal(m.run_fast(x)[0], inline.run_fast(x)[0])


def test_lazyProto_equalsTheParsedFile_withItsDataRead(lazy, tmp_path):
    src = Model.load("digits-mlp").source
    parsed = onnx.load(src)
    light = load_onnx(src)
    for t in light.graph.initializer:
        if is_external(t):
            onnx.external_data_helper.load_external_data_for_tensor(t, str(src.parent))
            t.ClearField("data_location")
            t.ClearField("external_data")
    assert light.SerializeToString() == parsed.SerializeToString()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "no graph"])
def test_damagedBigFile_isOneClearError(lazy, tmp_path, damage):
    src = Model.load("digits-mlp").source.read_bytes()
    bad = tmp_path / "model.onnx"
    bad.write_bytes({"truncated": src[: len(src) // 2], "garbage": b"\xff" * 64,
                     "no graph": onnx.ModelProto(ir_version=8).SerializeToString()}[damage])
    with pytest.raises(ModelFormatError, match="model.onnx"):
        load_onnx(bad)
