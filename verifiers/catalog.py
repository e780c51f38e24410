"""The models a deployment serves and what a request about one of them carries.

A `ModelEntry` knows a model's id on chain, how its input travels in a request (`encode`/`decode`),
and what a committee votes on (`result`), which the request states with its `ResultKind`:

- OUTPUT_ROOT (models with an exact program): the exact profile's output root, so honest members
  agree bit for bit. The input travels quantized (int16, big-endian: `runtime.tensor_root.tensor_bytes`).
- ARGMAX (any model; the only choice for a model without an exact program): the fast profile's top-1
  index over the last axis of the first output, at the last position, as a big-endian uint256. The
  input travels as the model's declared dtype, little-endian, in the declared (batch 1) shape.

Every model has a program the dispute game runs over (`program`): the exact profile's integer
program, or else the fast profile's float program (`runtime.float_program`: the ONNX graph run node by
node in float, whose disputed nodes a jury settles within a tolerance). A model with an exact program
is served exact unless its name ends in "@fast" ("gpt2-tiny@fast"): the same file in the fast profile.

Model ids: `bisection.commitments.model_id` of that program (the same id the BRAIN registry and the
opML registry derive). A fast-only model whose float program cannot be built (no static shapes, say)
keeps sha256(sha256(ONNX bytes) ‖ sha256("fast profile")), fixed by the file alone, and is not
disputable: only a committee can vote on it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from runtime.errors import UnsupportedOpError
from runtime.model import Model
from verifiers.entry import FAST_SUFFIX, ModelEntry  # noqa: F401 - imported from here by modes and agents

# "LM:pP:nN:greedy" or "LM:pP:nN:seedS" (+ "@fast"): one generation request shape of a language model
# (runtime.generation), the name `verifiers.generation.generation_entry` registers it under.
GENERATION_NAME = re.compile(r"^(?P<lm>.+):p(?P<p>\d+):n(?P<n>\d+):(?P<tag>greedy|seed\d+)$")


@dataclass
class Catalog:
    """Models by name and by id, loaded on first use (loading lowers the exact program)."""

    names: tuple[str, ...] = ("digits-mlp", "digits-cnn", "toy")
    _entries: dict = field(default_factory=dict)

    def entry(self, name: str) -> ModelEntry:
        """The model `name` (a zoo name or an .onnx path; "NAME@fast" for its fast profile; a generation
        shape "LM:pP:nN:greedy|seedS" of a language model, a zoo LM or a Hugging Face directory)."""
        if name not in self._entries:
            from runtime import zoo

            base, fast = (name[:-len(FAST_SUFFIX)], True) if name.endswith(FAST_SUFFIX) else (name, False)
            shape = GENERATION_NAME.match(base)
            if shape:
                from verifiers.generation import shape_entry

                tag = shape["tag"]
                self._entries[name] = shape_entry(name, shape["lm"], int(shape["p"]), int(shape["n"]),
                                                  None if tag == "greedy" else int(tag[4:]), fast)
                if name not in self.names:
                    self.names = self.names + (name,)
                return self._entries[name]
            exact = not fast and (zoo.ENTRIES[base].exact if base in zoo.ENTRIES else _covers(base))
            self._entries[name] = ModelEntry(name, Model.load(base, profile="exact" if exact else "fast"), exact)
            if name not in self.names:
                self.names = self.names + (name,)
        return self._entries[name]

    def by_id(self, model_id: bytes) -> ModelEntry | None:
        for e in self._entries.values():
            if e.model_id == bytes(model_id):
                return e
        for n in self.names:
            if n not in self._entries and self.entry(n).model_id == bytes(model_id):
                return self._entries[n]
        return None


def _covers(path: str) -> bool:
    try:
        Model.load(path, profile="exact")
        return True
    except UnsupportedOpError:
        return False
