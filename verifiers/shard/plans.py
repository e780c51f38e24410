"""A sharded model as nodes rebuild it: a spec string, its `ShardPlan`, shard catalog entries, registration.

Spec: "MODEL cuts=C1,C2 block=B shape=D1xD2" (cuts: steps of the model's own program; block 0: no
compression). It travels on chain as the registration's metadata; a node rebuilds the plan from it and
serves only when the sharded id it computes equals the registered one, so the metadata is never trusted.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from bisection.shards import full_id, shard_ids, sharded_id
from runtime.shards import DEFAULT_BLOCK, ShardPlan
from runtime.tensor_root import tensor_from_bytes

from .errors import ShardSpecError


@dataclass(frozen=True)
class Spec:
    model: str
    cuts: tuple[int, ...]
    block: int  # 0: uncompressed
    shape: tuple[int, ...]

    def __str__(self) -> str:
        return (f"{self.model} cuts={','.join(map(str, self.cuts))} block={self.block} "
                f"shape={'x'.join(map(str, self.shape))}")

    @classmethod
    def parse(cls, text: str) -> "Spec":
        try:
            name, *rest = text.split()
            kv = dict(part.split("=", 1) for part in rest)
            return cls(name, tuple(int(c) for c in kv["cuts"].split(",") if c), int(kv.get("block", 0)),
                       tuple(int(d) for d in kv["shape"].split("x")))
        except (ValueError, KeyError) as e:
            raise ShardSpecError(f"sharded model spec {text!r} does not parse ({e}): "
                                 f"want 'MODEL cuts=C1,C2 block=B shape=D1xD2'") from None


@functools.lru_cache(maxsize=8)
def plan_of(spec: Spec) -> ShardPlan:
    from runtime.model import Model

    model = Model.load(spec.model, profile="exact")
    return ShardPlan.make(model.program(spec.shape), cuts=spec.cuts, block=spec.block or None)


def make_spec(model: str, k: int, shape: tuple[int, ...] | None = None, block: int = DEFAULT_BLOCK,
              cuts: tuple[int, ...] | None = None) -> Spec:
    """The spec of `model` in k shards (cuts balanced by the weights each shard holds, or given)."""
    from runtime.model import Model
    from runtime.shards import even_cuts

    m = Model.load(model, profile="exact")
    shape = tuple(shape or m.default_shape())
    return Spec(model, tuple(cuts) if cuts is not None else even_cuts(m.program(shape), k), block, shape)


@dataclass
class ShardEntry:
    """One shard as the opML agents' catalog sees a model: its program, id, and input decoding."""

    name: str
    program: object
    index: int  # 1-based
    disputable: bool = True
    exact: bool = True

    @functools.cached_property
    def model_id(self) -> bytes:
        from bisection.commitments import model_id

        return model_id(self.program)

    @functools.cached_property
    def roots(self) -> tuple[bytes, bytes]:
        """(program root, weights root) as the BRAIN ModelRegistry records them (`register_model`)."""
        from bisection.commitments import commit

        c = commit(self.program)
        return c.program_root, c.weights_root

    def computes(self, kind) -> bool:
        """A committee votes on a shard's output root only (its boundary)."""
        from contracts.bindings.brain import ResultKind

        return int(kind) == ResultKind.OUTPUT_ROOT

    def decode(self, data: bytes, kind=None) -> np.ndarray:
        slot = self.program.slots[self.program.input_slot]
        return tensor_from_bytes(bytes(data), slot.dtype, tuple(slot.shape))


def entries(spec: Spec) -> list[ShardEntry]:
    plan = plan_of(spec)
    return [ShardEntry(f"{spec.model}#shard{j + 1}of{plan.k}", s, j + 1) for j, s in enumerate(plan.shards)]


def register(deployment, ledger, spec: Spec, *, sender=None) -> bytes:
    """Registers each shard program in OpmlModels (unless there) and the sharded model in the ledger (unless
    there); returns the sharded id."""
    from runtime.errors import TribunalError

    plan = plan_of(spec)
    models = deployment.opml.models
    for s in plan.shards:
        from bisection.commitments import model_id

        try:
            models.model(model_id(s))
        except TribunalError:
            models.register_program(s, sender=sender)
    sid = sharded_id(plan)
    try:
        ledger.sharded(sid)
    except TribunalError:
        ledger.register(full_id(plan), list(plan.cuts), shard_ids(plan), str(spec), list(spec.shape), sender=sender)
    return sid
