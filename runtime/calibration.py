"""Calibration: each float tensor's largest magnitude over sample inputs, which fixes its scale.

The fast profile runs the graph with every float intermediate exposed as an output. A model whose
weights live in external data (too big for one float session beside the integer program) is run a
node at a time instead (`calibrate_streaming`), reading each weight when its node runs. Scales are
fixed at registration: a model's calibration is stored with it and never changes afterwards.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import onnx

from .errors import CalibrationError, first_line
from .fast import session
from .quant import calibrated_max_abs


def exposed_model(model: onnx.ModelProto) -> tuple[onnx.ModelProto, list[str]]:
    """A copy of the model whose outputs include every float tensor the nodes produce."""
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {vi.name: vi.type.tensor_type.elem_type for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    names = [o.name for o in m.graph.output]
    for node in m.graph.node:
        for out in node.output:
            if out and out not in have and types.get(out) == onnx.TensorProto.FLOAT:
                m.graph.output.append(onnx.helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT, None))
                have.add(out)
                names.append(out)
    return m, names


def calibrate(model: onnx.ModelProto, input_name: str, samples: np.ndarray, batch: int = 256) -> dict[str, float]:
    """{tensor name: max |value|} over the samples (the input included). Mask sentinels (see
    `quant.MASK_SENTINEL`) do not count. Integer samples (token ids) keep their dtype; the ids
    input itself has no scale (1.0 is recorded)."""
    samples = np.asarray(samples)
    if samples.dtype.kind not in "iub":
        samples = samples.astype(np.float32)
    if samples.size == 0:
        raise CalibrationError("calibration needs at least one sample input")
    m, names = exposed_model(model)
    try:
        sess = session(m.SerializeToString(), device="cpu")
    except Exception as e:  # noqa: BLE001 - onnxruntime cannot load the model: one line, no traceback
        raise CalibrationError(f"onnxruntime cannot load the model for calibration: {first_line(e)}") from None
    out_names = [o.name for o in sess.get_outputs()]
    max_abs = {input_name: 1.0 if samples.dtype.kind in "iub" else calibrated_max_abs(samples)}
    for i in range(0, len(samples), batch):
        try:
            outs = sess.run(None, {input_name: samples[i:i + batch]})
        except Exception as e:  # noqa: BLE001 - onnxruntime's own errors (ids out of range, say): one line
            last = i + len(samples[i:i + batch]) - 1
            raise CalibrationError(f"calibration run failed on samples {i}..{last}: {first_line(e)}") from None
        for name, v in zip(out_names, outs):
            v = np.asarray(v)
            if v.dtype.kind == "f" and v.size:
                max_abs[name] = max(max_abs.get(name, 0.0), calibrated_max_abs(v))
    return max_abs


def calibrate_streaming(model: onnx.ModelProto, input_name: str, samples: np.ndarray, base_dir, batch: int = 8
                        ) -> dict[str, float]:
    """`calibrate`'s map, computed node by node (onnx's reference evaluator, float32 as stored): the
    live tensors are one batch's activations and the weights of the node running, never the model.
    Tensors computed from weights alone (a DequantizeLinear of an int8 weight) set no scale: lowering
    folds them into constants."""
    from onnx.reference import ReferenceEvaluator

    from .lowering import _fold_ort, last_reads, topological_order
    from .weights import tensor_array

    samples = np.asarray(samples)
    if samples.dtype.kind not in "iub":
        samples = samples.astype(np.float32)
    if samples.size == 0:
        raise CalibrationError("calibration needs at least one sample input")
    graph = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    inits = {t.name: t for t in graph.initializer}
    order = topological_order(graph)
    done = last_reads(order, set())
    evaluators: dict[int, ReferenceEvaluator] = {}
    max_abs = {input_name: 1.0 if samples.dtype.kind in "iub" else calibrated_max_abs(samples)}
    for i in range(0, len(samples), batch):
        values: dict[str, np.ndarray] = {input_name: samples[i:i + batch]}
        constant: set[str] = set(inits)
        for pos, node in enumerate(order):
            names = [n for n in node.input if n]
            feeds = {n: values[n] if n in values else tensor_array(inits[n], base_dir) for n in names}
            try:
                if pos not in evaluators:
                    evaluators[pos] = ReferenceEvaluator(node, opsets={"": opset})
                outs = evaluators[pos].run(None, feeds)
            except Exception as e:  # noqa: BLE001 - the evaluator's own errors: onnxruntime takes the node
                try:  # (opset 20's Gelu, which the evaluator does not implement), else one line naming it
                    outs = _fold_ort(node, feeds, opset)
                except Exception:  # noqa: BLE001
                    raise CalibrationError(f"calibration failed at node '{node.name or node.output[0]}' "
                                           f"({node.op_type}): {first_line(e)}") from None
            del feeds
            folded = all(n in constant for n in names)
            for name, v in zip([o for o in node.output if o], outs):
                values[name] = v = np.asarray(v)
                if folded:
                    constant.add(name)
                elif v.dtype == np.float32 and v.size:
                    max_abs[name] = max(max_abs.get(name, 0.0), calibrated_max_abs(v))
            for name in done.get(pos, ()):
                values.pop(name, None)
    return max_abs


def cache_key(model_fingerprint: str, samples: np.ndarray) -> str:
    samples = np.ascontiguousarray(samples)
    h = hashlib.sha256(f"{model_fingerprint}:{samples.dtype.str}:{samples.shape}:".encode())
    h.update(samples.tobytes())
    return h.hexdigest()[:32]


def cached(key: str, compute) -> dict[str, float]:
    """The calibration stored under `key` in the cache ($TRIBUNAL_CACHE/calibration), computed and
    stored first if absent or if it does not match its sha256 (stored beside it)."""
    from .zoo.cache import cache_root

    folder = cache_root().parent / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    path, digest = folder / f"{key}.json", folder / f"{key}.sha256"
    try:
        text = path.read_bytes()
        # INVARIANT: a stored calibration is used only with the digest written beside it (a damaged file
        # would change every scale, and so the model's roots): otherwise it is computed again
        if hashlib.sha256(text).hexdigest() == digest.read_text().strip():
            return {k: float(v) for k, v in json.loads(text).items()}
    except (OSError, ValueError, AttributeError):
        pass
    max_abs = compute()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    save(tmp, max_abs)
    tmp_digest = digest.with_suffix(f".{os.getpid()}.tmp-sha256")
    tmp_digest.write_text(hashlib.sha256(tmp.read_bytes()).hexdigest() + "\n")
    os.replace(tmp, path)  # whole or absent, even with concurrent writers; a reader between the two
    os.replace(tmp_digest, digest)  # replaces sees a mismatch and computes again
    return max_abs


def save(path: Path, max_abs: dict[str, float]) -> None:
    path.write_text(json.dumps(max_abs, indent=0, sort_keys=True))


def load(path: Path) -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads(Path(path).read_text()).items()}
    except (OSError, ValueError, AttributeError) as e:
        raise CalibrationError(f"cannot read calibration file '{path}': {e}") from None
