"""MaxPool with ceil_mode=1 (SqueezeNet's pools): lowered as extra end padding, the output shape and
values equal onnxruntime's on every small size, stride, kernel and padding (the last window dropped
where it would start in the end padding)."""
from __future__ import annotations

import numpy as np
import onnx
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from runtime.model import Model


@given(n=st.integers(3, 12), k=st.integers(2, 3), s=st.integers(1, 3), p=st.integers(0, 1), seed=st.integers(0, 9))
@settings(max_examples=25, deadline=None)
def test_maxpoolCeilMode_equalsOnnxruntime(tmp_path_factory, n, k, s, p, seed):
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4, ceil_mode=1)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, n, n])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, "h", "w"])])
    path = tmp_path_factory.mktemp("ceil") / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    x = np.random.default_rng(seed).standard_normal((1, 2, n, n)).astype(np.float32)
    m = Model.load(path, calibration={"x": 4.0, "y": 4.0})
    fast = m.run_fast(x)[0]
    r = m.run_exact(x)
    exact = r.floats()[0]
    assert exact.shape == fast.shape
    assert np.max(np.abs(exact - fast)) <= r.scales[0]  # max of the quantized input: one rounding step
    assert (m.run_exact(x, backend="torch").outputs[0] == r.outputs[0]).all()
