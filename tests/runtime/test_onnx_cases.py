"""ONNX's own node test cases (`onnx.backend.test.case.node`) for the numeric ops, on the exact profile.

Each case's graph is one node with its test inputs and expected outputs. The first input stays the
model's input; the others (LayerNormalization's scale and bias, a Pow's exponent, ...) become
initializers with the case's values, which is how models carry them. Optional extra outputs
(LayerNormalization's Mean and InvStdDev) are dropped: the exact profile computes Y only. The
model is calibrated on the case's own input, then the exact output must match the expected one
within TOLERANCE[op] times the largest expected magnitude: the quantization's yardstick (int16
activations, one rounding per table or requantization, int16 gamma). `_expanded` cases (the op
written as a function of other ops) are skipped, and so are cases whose first input or output is an integer tensor (the
exact profile quantizes float activations). Cases the exact profile rejects on purpose are listed in UNSUPPORTED: they
must fail at load time with an `UnsupportedOpError` naming the node.
"""
from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from runtime.errors import UnsupportedOpError
from runtime.model import Model

# op -> tolerance, as a fraction of the largest expected output magnitude
TOLERANCE = {
    "LayerNormalization": 0.01, "Tanh": 0.002, "Erf": 0.002, "Gelu": 0.002, "Sigmoid": 0.002, "Sqrt": 0.005,
    "Reciprocal": 0.01, "Div": 0.01, "Pow": 0.01, "ReduceMean": 0.002,
    "GlobalAveragePool": 0.002, "BatchNormalization": 0.002,
    "AveragePool": 0.002, "LRN": 0.003,
}


# case -> why the exact profile refuses it
UNSUPPORTED = {
    "test_pow": "a per-element exponent tensor (one table per exponent value)",
    "test_pow_bcast_array": "a per-element exponent tensor",
    "test_pow_example": "a per-element exponent tensor",
    "test_pow_types_float32_int32": "a per-element exponent tensor",
    "test_pow_types_float32_int64": "a per-element exponent tensor",
    "test_averagepool_1d_default": "1-D pooling (2-D only)",
    "test_averagepool_3d_default": "3-D pooling (2-D only)",
    "test_averagepool_3d_dilations_small": "3-D pooling",
    **{f"test_averagepool_3d_dilations_large_count_include_pad_is_{i}_ceil_mode_is_{c}": "3-D pooling"
       for i in (0, 1) for c in ("True", "False")},
    "test_averagepool_2d_ceil": "ceil_mode=1",
    "test_averagepool_2d_ceil_last_window_starts_on_pad": "ceil_mode=1",
    "test_averagepool_2d_dilations": "ceil_mode=1",
}
# cases the fast profile cannot run (so nothing can calibrate them), and training-mode cases (their
# batch statistics are outputs the exact profile does not compute)
SKIPPED = {"test_pow_types_float32_uint32", "test_pow_types_float32_uint64", "test_batchnorm_example_training_mode",
           "test_batchnorm_epsilon_training_mode"}


def _float_only(case) -> bool:
    """Input 0 and output 0 are float32 (the other inputs become initializers, of any type)."""
    inputs, outputs = case.data_sets[0]
    return np.asarray(inputs[0]).dtype == np.asarray(outputs[0]).dtype == np.float32


# the onnx module that holds each op's cases (named after the op, lower case, unless listed)
MODULES = {"BatchNormalization": "batch_normalization"}


def _cases():
    # Importing an op's case module registers its cases (onnx's collect_testcases would build all
    # ~1900 and keeps a global filter); other test modules may have imported others: filter by op.
    import importlib

    import onnx.backend.test.case.node as node_cases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in TOLERANCE:
            importlib.import_module(f"onnx.backend.test.case.node.{MODULES.get(op, op.lower())}")
    for case in sorted(node_cases._NodeTestCases, key=lambda c: c.name):
        nodes = case.model.graph.node
        if len(nodes) == 1 and nodes[0].op_type in TOLERANCE and "_expanded" not in case.name and _float_only(case) \
                and case.name not in SKIPPED:
            yield pytest.param(nodes[0].op_type, case, id=case.name)


def single_input_model(case) -> tuple[onnx.ModelProto, np.ndarray, np.ndarray]:
    """(model with inputs 1.. as initializers and only output 0, input 0's data, output 0's data)."""
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    g = m.graph
    for vi, value in list(zip(g.input, inputs))[1:]:
        g.initializer.append(numpy_helper.from_array(np.asarray(value), vi.name))
    del g.input[1:]
    del g.output[1:]
    node = g.node[0]
    del node.output[1:]
    return m, np.asarray(inputs[0]), np.asarray(outputs[0])


@pytest.mark.parametrize("op, case", list(_cases()))
def test_onnxNodeCase_exactWithinTolerance(op, case, figure):
    model, x, want = single_input_model(case)
    m = Model(model, case.name)
    m.calibrate(x)
    if case.name in UNSUPPORTED:
        with pytest.raises(UnsupportedOpError, match=f"op {op}"):
            m.run_exact(x)
        return
    got = m.run_exact(x).floats()[0]
    err = float(np.max(np.abs(got - want))) / max(float(np.max(np.abs(want))), 1e-12)
    figure(f"onnx case {case.name} relative error", err)
    assert got.shape == want.shape and err <= TOLERANCE[op], f"{case.name}: relative error {err:.4g}"
