"""Reading and checking ONNX files: every failure becomes a `ModelFormatError` that says what."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto

from .errors import InputDtypeError, InputShapeError, ModelFormatError


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple  # ints, or None for a dynamic dim
    dtype: np.dtype


def load_onnx(path: str | Path) -> onnx.ModelProto:
    path = Path(path)
    # the checker first, from the path, before this process holds the model: given the proto it would
    # serialize a copy for the C++ checker, which parses another (three models at once: a 500 MB
    # float32 GPT-2 peaked at 1.9 GiB on load). From the path it also finds external data beside the
    # model (given the proto, it looks in the cwd). Its verdict is raised after the format checks
    # below, which say more about a file that is no model at all.
    try:
        onnx.checker.check_model(str(path.resolve()))
        check_error = None
    except Exception as e:
        check_error = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelFormatError(f"cannot read '{path}': {e.strerror}") from None
    try:
        model = onnx.load_from_string(data)
        del data  # the parsed model holds its own copy
    except Exception as e:
        raise ModelFormatError(f"'{path}' is not an ONNX model: {type(e).__name__}: {str(e)[:120]}") from None
    if not model.graph.node:
        raise ModelFormatError(f"'{path}' has no graph nodes (not an ONNX model?)")
    if check_error is not None:
        raise ModelFormatError(f"'{path}' fails the ONNX checker: {check_error[:200]}")
    return model


def input_specs(model: onnx.ModelProto) -> list[InputSpec]:
    inits = {i.name for i in model.graph.initializer}
    specs = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in t.shape.dim)
        specs.append(InputSpec(vi.name, dims, np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type or TensorProto.FLOAT))))
    return specs


def check_input(spec: InputSpec, x) -> np.ndarray:
    """The input as an array of the declared dtype, or a clear error naming the mismatch."""
    x = np.asarray(x)
    if x.ndim != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape, x.shape)):
        want = "[" + ", ".join("?" if d is None else str(d) for d in spec.shape) + "]"
        raise InputShapeError(f"input '{spec.name}' must have shape {want}, got {list(x.shape)}")
    if 0 in x.shape:
        raise InputShapeError(f"input '{spec.name}' is empty (shape {list(x.shape)})")
    kind_ok = (np.issubdtype(spec.dtype, np.floating) and np.issubdtype(x.dtype, np.floating)) or (
        np.issubdtype(spec.dtype, np.integer) and np.issubdtype(x.dtype, np.integer)) or (
        spec.dtype == np.bool_ and x.dtype == np.bool_)
    if not kind_ok:
        raise InputDtypeError(f"input '{spec.name}' must be {spec.dtype.name}, got {x.dtype.name}")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise InputDtypeError(f"input '{spec.name}' holds NaN or infinite values")
    return x.astype(spec.dtype, copy=False)
