"""`Model`: one ONNX model, two profiles.

    m = Model.load("digits-mlp")               # a zoo name or a path to an .onnx file
    m.run_fast(x)                              # onnxruntime (CUDA when present), float outputs
    r = m.run_exact(x, backend="torch")        # integer program, bit-identical everywhere
    r.outputs, r.floats(), r.output_root

The exact program is lowered once per input shape (static shapes; shape-only subgraphs folded) and
cached. Its scales come from the model's calibration, fixed at registration: the zoo stores one
with each model; a user file is calibrated on given samples (`calibration=` an array, a .npy or
.json path, or a {tensor: max |value|} dict), or else on 64 seeded standard-normal inputs (say so
with real data for accuracy); a token-id input on 64 seeded sequences of ids within its embedding
table. The scales are in the program and weights roots, so they are part of the model id.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import onnx

from . import calibration as calib
from . import zoo
from .backend import get_backend
from .errors import (CalibrationError, FastRunError, InputDtypeError, InputShapeError, TribunalError, UnknownModelError,
                     UnsupportedOpError, first_line)
from .fast import session
from .lowering import lower
from .onnx_io import InputSpec, check_input, input_specs, load_onnx
from .program import Program
from .quant import quantize
from .tensor_root import tensor_root
from .weights import fingerprint, is_external, weight_bytes

RANDOM_CALIBRATION_SAMPLES = 64
STREAMING_BYTES = 256 << 20  # weights from which calibration streams (GPT-2 124M's 500 MB; no zoo model)
PROGRAM_CACHE_BYTES = 64 << 20  # weights from which lowered programs are cached by default (no zoo model)


@dataclass
class ExactResult:
    """What the exact profile computes: integer outputs (int16, one per graph output), their scales, and
    the output root that commits to them."""
    outputs: list[np.ndarray]  # int16, one per graph output
    scales: list[float]
    seconds: float = 0.0

    def floats(self) -> list[np.ndarray]:
        """The outputs dequantized to float64 (integer * scale)."""
        return [o.astype(np.float64) * s for o, s in zip(self.outputs, self.scales)]

    @property
    def output_root(self) -> bytes:
        """Tensor root of the first output (runtime.tensor_root)."""
        return tensor_root(self.outputs[0])


@dataclass
class Model:
    """An ONNX model with both profiles: `run_fast` (onnxruntime, float) and `run_exact` (the integer
    program, bit-identical everywhere). Load with `Model.load(zoo name or .onnx path, profile=...)`."""
    proto: onnx.ModelProto
    name: str
    source: Path | None = None
    max_abs: dict[str, float] | None = None
    _programs: dict = field(default_factory=dict, repr=False)
    _sessions: dict = field(default_factory=dict, repr=False)
    _float_programs: dict = field(default_factory=dict, repr=False)
    bound: dict = field(default_factory=dict, repr=False)  # inputs bound at load (runtime.bound_inputs)
    cache_programs: bool | None = None  # programs saved and memory-mapped (runtime.program_cache); None: big models

    def __post_init__(self):
        from .bound_inputs import bind_constant_inputs
        from .legacy import upgrade

        self.proto, bound = bind_constant_inputs(upgrade(self.proto, self.name))
        self.bound = {**self.bound, **bound}

    # ---- loading
    @classmethod
    def load(cls, model: str | Path, profile: str = "fast", calibration: np.ndarray | dict | None = None,
             program_cache: bool | None = None) -> "Model":
        """A zoo name or a path; with profile='exact' the exact program is lowered now, so an
        uncovered op is reported at load time. `program_cache`: save lowered programs and map them
        back on later loads (runtime.program_cache); None (default) does so for big models only."""
        if isinstance(model, str) and model in zoo.names():
            d = zoo.folder(model)  # built on first use
            m = cls(load_onnx(d / "model.onnx"), model, d / "model.onnx")
            if (d / "calibration.json").exists():
                m.max_abs = calib.load(d / "calibration.json")
        else:
            path = Path(model)
            if not path.exists():
                raise UnknownModelError(f"'{model}' is neither a zoo model ({', '.join(zoo.names())}) nor an existing file")
            m = cls(load_onnx(path), path.stem, path)
        m.cache_programs = program_cache
        if calibration is not None:
            m.set_calibration(calibration)
        if profile == "exact":
            m.program(m.default_shape())
        elif profile != "fast":
            raise TribunalError(f"unknown profile '{profile}' (fast or exact)")
        return m

    @cached_property
    def spec(self) -> InputSpec:
        """The (first) input's name, shape and dtype, read from the graph once."""
        specs = input_specs(self.proto)
        if not specs:
            raise TribunalError(f"model '{self.name}' declares no inputs")
        return specs[0]

    def default_shape(self, batch: int = 1) -> tuple[int, ...]:
        """The input shape with its dynamic batch dimension set to `batch`."""
        return tuple(batch if d is None else d for d in self.spec.shape)

    @property
    def base_dir(self) -> Path | None:
        """The model's folder, where its external data lies (None for a model built in memory)."""
        return self.source.parent if self.source is not None else None

    @cached_property
    def external(self) -> bool:
        """True when the weights live in external data files (read tensor by tensor, never all at once)."""
        return any(is_external(t) for t in self.proto.graph.initializer)

    @cached_property
    def big(self) -> bool:
        """True for a model file of STREAMING_BYTES of weights or more: calibrated node by node (a float
        session beside the program would hold the model twice over)."""
        return self.source is not None and weight_bytes(self.proto) >= STREAMING_BYTES

    # ---- fast profile
    def run_fast(self, x, device: str = "auto") -> list[np.ndarray]:
        """The float outputs from onnxruntime (`device`: auto, cpu or cuda)."""
        x = check_input(self.spec, x)
        try:
            if device not in self._sessions:
                # a model with external data loads from its path: onnxruntime finds the data beside it
                src = str(self.source.resolve()) if self.external and self.source else self.proto.SerializeToString()
                self._sessions[device] = session(src, device)
            extra = {}
            if self.bound and self.external and self.source:  # the session reads the original file
                from .bound_inputs import feeds

                extra = feeds(self.bound, x)
            return self._sessions[device].run(None, {self.spec.name: x, **extra})
        except TribunalError:
            raise
        except Exception as e:  # noqa: BLE001 - onnxruntime's errors (an id out of range, say): one line
            raise FastRunError(f"model '{self.name}': onnxruntime failed: {first_line(e)}") from None

    # ---- exact profile
    def set_calibration(self, calibration) -> None:
        """Fix the scales from the user's choice: sample inputs (an array, or a path to a .npy of
        them) or a ready {tensor: max |value|} map (a dict, or a path to a .json one). The scales
        are part of the registered model: they change its program and weights roots."""
        if isinstance(calibration, (str, Path)):
            path = Path(calibration)
            if path.suffix == ".json":
                calibration = calib.load(path)
            else:
                try:
                    calibration = np.load(path, allow_pickle=False)
                except (OSError, ValueError) as e:
                    raise CalibrationError(f"cannot read calibration samples '{path}': {e}") from None
        if isinstance(calibration, dict):
            self.max_abs = {str(k): float(v) for k, v in calibration.items()}
            self._programs.clear()
        else:
            self.calibrate(calibration)

    def calibrate(self, samples: np.ndarray) -> None:
        """Fix the scales from sample inputs (stacked along axis 0; a fixed batch dim b takes them b at a time)."""
        fixed = self.spec.shape[0] if self.spec.shape else None
        samples = np.asarray(samples)
        if fixed and samples.ndim and len(samples) % fixed == 0:
            check_input(self.spec, samples[:fixed])
        else:
            samples = check_input(self.spec, samples)
        if self.external or self.big:  # a float session would hold the whole model: run it a node at a
            # time instead, once per model file and samples (cached: a 7B model's calibration takes minutes)
            self.max_abs = calib.cached(calib.cache_key(self.fingerprint, samples), lambda: (
                calib.calibrate_streaming(self.proto, self.spec.name, samples, self.base_dir, batch=fixed or 8)))
        else:
            self.max_abs = calib.calibrate(self.proto, self.spec.name, samples, batch=fixed or 256)
        self._programs.clear()

    def _ensure_calibrated(self) -> None:
        if self.max_abs is None:
            rng = np.random.default_rng(0)
            shape = self.default_shape()
            if shape:  # 64 samples stacked on axis 0 (a fixed batch dim b takes them b at a time)
                batch = shape[0] if self.spec.shape[0] else 1
                shape = (RANDOM_CALIBRATION_SAMPLES * batch,) + shape[1:]
            if np.issubdtype(self.spec.dtype, np.floating):
                self.calibrate(rng.standard_normal(shape).astype(np.float32))
            else:  # token ids: drawn within the embedding table the ids index
                self.calibrate(rng.integers(0, self.id_limit(), shape).astype(self.spec.dtype))

    def id_limit(self) -> int:
        """For an integer (token-id) input: the number of rows of the smallest table a Gather of the
        input indexes, so every id in [0, limit) is valid."""
        inits = {i.name: i for i in self.proto.graph.initializer}
        ids, rows = {self.spec.name}, []
        for node in self.proto.graph.node:  # the ids, and the ids reshaped (the exact profile's rule too)
            if node.op_type in ("Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity") and node.input[0] in ids:
                ids.add(node.output[0])
        for node in self.proto.graph.node:  # a table stored int8 and dequantized keeps its initializer's shape
            if node.op_type in ("DequantizeLinear", "Identity", "Cast") and node.input[0] in inits:
                inits[node.output[0]] = inits[node.input[0]]
        for node in self.proto.graph.node:
            if node.op_type == "Gather" and len(node.input) > 1 and node.input[1] in ids and node.input[0] in inits:
                axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
                rows.append(int(inits[node.input[0]].dims[axis]))
        if not rows:
            raise UnsupportedOpError(self.spec.name, "input", f"the exact profile takes an integer ({self.spec.dtype}) "
                                     "input only as token ids that a Gather looks up in a constant table")
        return min(rows)

    def program(self, shape: tuple[int, ...]) -> Program:
        """The exact integer program for an input of `shape` (built once per shape): what traces, the
        dispute game and the one-step check run."""
        shape = tuple(int(d) for d in shape)
        if shape not in self._programs:
            if len(input_specs(self.proto)) != 1:
                raise UnsupportedOpError(self.name, "model", "the exact profile supports models with one input")
            self._ensure_calibrated()
            max_abs = self.max_abs
            assert max_abs is not None  # INVARIANT: calibrated just above
            if self.cached_programs:
                from . import program_cache

                entry = program_cache.key(self.fingerprint, self.graph_digest, self.spec.name, shape, max_abs)
                self._programs[shape] = program_cache.cached(entry, lambda constants: lower(
                    self.proto, self.spec.name, shape, max_abs, self.base_dir, constants=constants))
            else:
                self._programs[shape] = lower(self.proto, self.spec.name, shape, max_abs, self.base_dir)
        return self._programs[shape]

    @property
    def cached_programs(self) -> bool:
        """Whether programs go through the program cache: as asked, else for a big model from a file."""
        if self.source is None:
            return False
        if self.cache_programs is not None:
            return self.cache_programs
        return weight_bytes(self.proto) >= PROGRAM_CACHE_BYTES

    @cached_property
    def fingerprint(self) -> str:
        """The model file's and its data files' digest (runtime.weights.fingerprint), computed once."""
        return fingerprint(self.source, self.proto)

    @cached_property
    def graph_digest(self) -> str:
        """A digest of the model as loaded (inputs bound, big weights left in their files)."""
        import hashlib

        return hashlib.sha256(self.proto.SerializeToString()).hexdigest()

    def float_program(self, shape: tuple[int, ...]):
        """The float program for one static input shape (runtime.float_program), built once."""
        from .float_program import FloatProgram

        shape = tuple(int(d) for d in shape)
        if shape not in self._float_programs:
            self._float_programs[shape] = FloatProgram.build(self, shape)
        return self._float_programs[shape]

    def quantize_input(self, x) -> np.ndarray:
        """The request input as the program's input slot holds it: int16 for a float input, int64
        token ids (checked against the embedding table) for an integer one."""
        x = check_input(self.spec, x)
        prog = self.program(x.shape)
        if prog.slots[prog.input_slot].dtype == "int64":
            limit = self.id_limit()
            if x.min() < -limit or x.max() >= limit:  # negative ids count from the end, as in Gather
                raise InputDtypeError(f"input '{self.spec.name}': token ids must lie in [-{limit}, {limit}), "
                                      f"got {int(x.min())}..{int(x.max())}")
            return x.astype(np.int64)
        return quantize(x, prog.slots[prog.input_slot].scale)

    def run_exact(self, x, backend: str = "numpy", device: str = "cpu") -> ExactResult:
        """Quantize `x` and run the exact program (`backend`: numpy, or torch on `device`)."""
        bk = get_backend(backend, device)
        x_q = self.quantize_input(x)
        prog = self.program(x_q.shape)
        t = time.perf_counter()
        outs = prog.run(x_q, bk)
        return ExactResult(outs, [prog.slots[i].scale for i in prog.output_slots], time.perf_counter() - t)
