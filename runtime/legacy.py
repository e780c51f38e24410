"""ONNX files older than opset 7 (the model zoo's first files: mnist-1, squeezenet1.0-3, ...).

onnxruntime, the fast profile and the calibration, runs opset 7 and later only; the ops' forms of
opsets 1-6 (Gemm's and Add's `broadcast`/`axis`, BatchNormalization's `is_test`, Reshape's `shape`
attribute, Dropout's `is_test`, Concat without an axis, ...) all have an opset-7 meaning. So a model
older than opset 7 is brought to opset 7 at load by onnx's version converter, for both profiles:
the exact program, like the fast one, runs that model. Forms of opsets 7-12 run as they are (their
ops read their attributes by opset: runtime/ops).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import ModelFormatError

OLDEST_RUN = 7  # onnxruntime's oldest opset


def default_opset(proto: onnx.ModelProto) -> int:
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), OLDEST_RUN)


def upgrade(proto: onnx.ModelProto, name: str = "model") -> onnx.ModelProto:
    """The model itself from opset 7 on; an older one converted to opset 7, or a ModelFormatError
    naming what the converter could not convert."""
    if default_opset(proto) >= OLDEST_RUN:
        return proto
    from onnx import version_converter

    try:
        out = version_converter.convert_version(_align_axis_broadcast(proto), OLDEST_RUN)
    except Exception as e:  # noqa: BLE001 - the converter raises bare RuntimeErrors with C++ asserts
        ops = sorted({n.op_type for n in proto.graph.node if n.domain in ("", "ai.onnx")})
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelFormatError(f"'{name}' is an opset-{default_opset(proto)} model and onnx's version converter cannot bring "
                               f"it to opset {OLDEST_RUN}, the oldest onnxruntime runs (ops {', '.join(ops)}): "
                               f"{why.split('failed: ')[-1][:160]}") from None
    return out


BROADCASTING = ("Add", "Sub", "Mul", "Div", "Pow", "Sum", "And", "Or", "Xor", "Equal", "Greater", "Less")


def _align_axis_broadcast(proto: onnx.ModelProto) -> onnx.ModelProto:
    """Opset 1-6 `broadcast=1, axis=a` lays B's dims on A's from axis a (B [C] on A [N, C, H, W] at
    axis 1 is [C, 1, 1]); numpy's rule, opset 7's, lays them from the end. The converter's adapter
    unsqueezes one axis too many here (onnx 1.x: [C, 1, 1, 1], which broadcasts to [C, C, H, W]), so
    a constant B is reshaped to its opset-7 shape first and the `axis` attribute dropped."""
    nodes = [n for n in proto.graph.node if n.op_type in BROADCASTING and any(a.name == "axis" for a in n.attribute)]
    if not nodes:
        return proto
    out = onnx.ModelProto()
    out.CopyFrom(proto)
    ranks = {vi.name: len(vi.type.tensor_type.shape.dim) for vi in
             list(onnx.shape_inference.infer_shapes(out).graph.value_info) + list(out.graph.input)
             if vi.type.tensor_type.HasField("shape")}
    inits = {i.name: i for i in out.graph.initializer}
    for n in out.graph.node:
        if n.op_type not in BROADCASTING or not any(a.name == "axis" for a in n.attribute) or len(n.input) != 2:
            continue
        axis = next(helper.get_attribute_value(a) for a in n.attribute if a.name == "axis")
        b, rank = inits.get(n.input[1]), ranks.get(n.input[0])
        if b is None or rank is None:
            continue  # left to the converter (which may refuse)
        value = numpy_helper.to_array(b)
        axis = axis + rank if axis < 0 else axis
        trailing = rank - axis - value.ndim
        if trailing < 0:
            continue
        name = f"{n.input[1]}:aligned{trailing}"
        if name not in inits:
            inits[name] = numpy_helper.from_array(value.reshape(value.shape + (1,) * trailing), name)
            out.graph.initializer.append(inits[name])
            if any(vi.name == n.input[1] for vi in out.graph.input):  # IR < 4: initializers are graph inputs too
                out.graph.input.append(helper.make_tensor_value_info(name, b.data_type, inits[name].dims))
        n.input[1] = name
        kept = [a for a in n.attribute if a.name != "axis"]
        del n.attribute[:]
        n.attribute.extend(kept)
    return out
