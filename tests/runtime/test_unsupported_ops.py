"""Every op the exact profile does not cover fails at load time with the node and the op named.

One single-node graph per op of the ONNX standard (`onnx.defs`), its first input the model's
dynamic input and any further required inputs constants; lowered with placeholder scales (the
refusal must come from the lowering, before any scale matters)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from runtime.errors import UnsupportedOpError
from runtime.model import Model
from runtime.ops import get_op

FOLDED = {"Constant", "Shape", "Size"}  # evaluated at load (shapes are static), never a program node


def _unsupported() -> list:
    schemas = {}
    for s in onnx.defs.get_all_schemas():
        if s.domain == "" and not s.deprecated and s.min_input >= 1 and s.name not in FOLDED and get_op(s.name) is None:
            schemas[s.name] = s
    return [schemas[k] for k in sorted(schemas)]


SCHEMAS = _unsupported()


def test_manyOpsAreChecked():
    assert len(SCHEMAS) > 120


@pytest.mark.parametrize("schema", SCHEMAS, ids=[s.name for s in SCHEMAS])
def test_unsupportedOp_failsAtLoad_namingNodeAndOp(schema):
    extra = [f"c{i}" for i in range(1, schema.min_input)]
    node = helper.make_node(schema.name, ["x", *extra], ["y"], name=f"the_{schema.name.lower()}")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.ones((2, 3), np.float32), c) for c in extra])
    m = Model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)]), schema.name)
    m.max_abs = {"x": 1.0, "y": 1.0}
    with pytest.raises(UnsupportedOpError, match=rf"node 'the_{schema.name.lower()}' \(op {schema.name}\)"):
        m.program((2, 3))
