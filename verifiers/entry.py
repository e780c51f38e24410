"""A model a deployment serves: its id on chain, how a request's input travels, what a committee votes on
(the ResultKinds are described in verifiers/catalog.py, which holds the entries by name and by id)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from contracts.bindings.brain import ResultKind
from runtime.errors import InputShapeError, TribunalError
from runtime.model import Model
from runtime.onnx_io import check_input
from runtime.tensor_root import tensor_bytes, tensor_from_bytes, tensor_root

FAST_WEIGHTS_ROOT = hashlib.sha256(b"fast profile").digest()
FAST_SUFFIX = "@fast"  # "gpt2-tiny@fast": a model that has an exact program, served in the fast profile


@dataclass
class ModelEntry:
    name: str
    model: Model
    exact: bool
    _honest: dict = field(default_factory=dict, repr=False, compare=False)  # (kind, sha256(input)) -> honest()

    @property
    def profile(self) -> str:
        return "exact" if self.exact else "fast"

    @cached_property
    def program(self):
        """The program disputes run over: the exact program, or the fast profile's float program."""
        if self.exact:
            return self.model.program(self.model.default_shape())
        return self.model.float_program(self.model.default_shape())

    @cached_property
    def disputable(self) -> bool:
        """Whether the dispute game can settle this model (exact, or its float program builds)."""
        if self.exact:
            return True
        try:
            self.program
        except TribunalError:
            return False
        return True

    @cached_property
    def roots(self) -> tuple[bytes, bytes]:
        """(program root, weights root) as the ModelRegistry records them."""
        if self.disputable:
            from bisection.commitments import commit

            c = commit(self.program)
            return c.program_root, c.weights_root
        return hashlib.sha256(self.model.proto.SerializeToString()).digest(), FAST_WEIGHTS_ROOT

    @cached_property
    def model_id(self) -> bytes:
        p, w = self.roots
        return hashlib.sha256(p + w).digest()

    KINDS = (ResultKind.OUTPUT_ROOT, ResultKind.ARGMAX)  # the result kinds a member computes for this entry

    def default_kind(self) -> ResultKind:
        return ResultKind.OUTPUT_ROOT if self.exact else ResultKind.ARGMAX

    def computes(self, kind: int) -> bool:
        """Whether an honest member computes result kind `kind` for this model (else it declines it)."""
        return int(kind) in self.KINDS

    # ---- requests
    def check(self, x) -> np.ndarray:
        """The input as the model takes it, batch 1, or InputShapeError / InputDtypeError."""
        x = check_input(self.model.spec, x)
        if x.shape != self.model.default_shape():
            raise InputShapeError(f"model '{self.name}' takes one input of shape {list(self.model.default_shape())} "
                                  f"per request, got {list(x.shape)}")
        return x

    def encode(self, x, kind: ResultKind) -> bytes:
        """The request's input bytes. OUTPUT_ROOT: the program's input slot in canonical bytes (S_0 is
        derived on chain from them): quantized int16 for an exact program, the raw input for a float one."""
        x = self.check(x)
        if kind == ResultKind.OUTPUT_ROOT:
            return tensor_bytes(self.model.quantize_input(x) if self.exact else x)
        return np.ascontiguousarray(x, dtype=self.model.spec.dtype.newbyteorder("<")).tobytes()

    def decode(self, data: bytes, kind: ResultKind) -> np.ndarray:
        """The input a request carries, as the array `result` takes; InputShapeError when it does not fit."""
        try:
            if kind == ResultKind.OUTPUT_ROOT:
                slot = self.program.slots[self.program.input_slot]
                return tensor_from_bytes(data, slot.dtype, tuple(slot.shape))
            dtype = self.model.spec.dtype.newbyteorder("<")
            return np.frombuffer(data, dtype=dtype).astype(self.model.spec.dtype).reshape(self.model.default_shape())
        except ValueError as e:
            raise InputShapeError(f"request input for '{self.name}' does not decode: {e}") from None

    def result(self, data: bytes, kind: ResultKind) -> bytes:
        """The 32 bytes an honest member votes on for a request's input."""
        x = self.decode(data, kind)
        if kind == ResultKind.OUTPUT_ROOT:
            return self.output_root(x)
        if kind == ResultKind.ARGMAX:
            return int(self.top1(x)).to_bytes(32, "big")
        raise TribunalError(f"result kind {kind.name} is not computed by Tribunal's agents")

    def output_root(self, x_p) -> bytes:
        """The program's output root for an input already in the program's form (quantized when exact)."""
        return tensor_root(np.asarray(self.program.run(x_p)[0]))

    def top1(self, x) -> int:
        out = np.asarray(self.model.run_fast(x)[0])
        return _top1(out)

    def honest(self, x, kind: ResultKind) -> tuple[bytes, int]:
        """What an honest re-execution of a request on input `x` gives: (the 32 bytes an honest member
        votes on, the top-1 a person reads: a classifier's label). For OUTPUT_ROOT the label is decoded
        from the same output tensor whose root is voted on. Cached per input: a verdict polled every
        block asks again."""
        data = self.encode(x, kind)
        key = (kind, hashlib.sha256(data).digest())
        if key not in self._honest:
            x_p = self.decode(data, kind)
            if kind == ResultKind.OUTPUT_ROOT:
                out = np.asarray(self.program.run(x_p)[0])
                self._honest[key] = (tensor_root(out), _top1(out))
            elif kind == ResultKind.ARGMAX:
                label = self.top1(x_p)
                self._honest[key] = (label.to_bytes(32, "big"), label)
            else:
                raise TribunalError(f"result kind {kind.name} is not computed by Tribunal's agents")
        return self._honest[key]

    def read(self, result: bytes, kind: ResultKind, x) -> int | None:
        """What a settled 32-byte result means to the caller: the label for ARGMAX; for an output root, the
        top-1 of the honest output tensor when `result` is that tensor's root (else None: a root alone
        cannot be decoded)."""
        if kind == ResultKind.ARGMAX:
            return int.from_bytes(result, "big")
        honest, label = self.honest(x, kind)
        return label if bytes(result) == honest else None


def _top1(out: np.ndarray) -> int:
    """The index of the largest value over the last axis, at the last position (a label, a next token)."""
    return int(np.asarray(out).reshape(-1, out.shape[-1])[-1].argmax())
