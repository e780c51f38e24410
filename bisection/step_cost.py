"""The one-step proof cost of each step of a lowered program (runtime.proof_cost's model applied to
the program's reads and its committed descriptors): what tests and benchmarks check against the
bounds. The lowering itself decides with runtime.proof_cost's shape model, before a program exists."""
from __future__ import annotations

import weakref

import numpy as np

from runtime.ops import get_op
from runtime.proof_cost import BYTES_BOUND, GAS_BOUND, STEP_ARGS, WIDTH, StepCost, bundle, conv_per_read, gas, tree_depth
from runtime.tensor_root import CHUNK_BYTES

from .commitments import header_descriptor, is_float_step, node_descriptor
from .errors import StepProofTooLarge


def _placeholder(shape, dtype) -> np.ndarray:
    """An array of the slot's shape that takes no memory (zeros, broadcast): reads depend on shapes,
    and value-dependent reads (a lookup's row) cost the same for any value."""
    return np.broadcast_to(np.zeros((), dtype=dtype), tuple(shape))


def step_cost(program, step: int, state: list | None = None, samples: int = 6) -> StepCost:
    """The costliest of a few output elements of `step` (first, last, spread), from S_{step-1} when
    `state` is given (reads that depend on values), else from shapes only."""
    node = program.nodes[step - 1]
    slots = program.slots
    ins = [np.asarray(state[i]) if state is not None and state[i] is not None else _placeholder(slots[i].shape, slots[i].dtype)
           for i in node.inputs]
    out_shape = slots[node.outputs[0]].shape
    size = int(np.prod(out_shape, dtype=np.int64))
    op = get_op(node.op)
    state_depth = (len(slots) - 1).bit_length() if len(slots) > 1 else 0
    program_depth = program.steps.bit_length()  # the program tree has steps + 1 leaves
    header, desc = len(header_descriptor(program)), len(node_descriptor(program, step))
    worst = None
    for e in sorted({0, size - 1, *np.linspace(0, size - 1, samples, dtype=np.int64).tolist()}):
        reads = op.reads(node, ins, out_shape, int(e))
        per_input, chunks, elements = [], 0, 0
        for slot, r in zip(node.inputs, reads):
            s = slots[slot]
            w = WIDTH[s.dtype]
            r = np.asarray(r).reshape(-1)
            c = len(np.unique(r * w // CHUNK_BYTES)) if r.size else 0
            per_input.append((c, tree_depth(s.size * w)))
            chunks, elements = chunks + c, elements + int(r.size)
        b = bundle(per_input, state_depth, program_depth, header, desc)
        per = conv_per_read(slots[node.inputs[1]].shape[3]) if node.op in ("Conv", "ConvBlock") else None
        cost = StepCost(step, node.op, chunks, elements, b.size, (b + STEP_ARGS).size,
                        gas(node.op, b, chunks, elements, per_read=per), gas(node.op, b, chunks, elements, game=False, per_read=per))
        if worst is None or cost.gas > worst.gas:
            worst = cost
    return worst


def program_costs(program) -> list[StepCost]:
    """Every step's `step_cost`, from shapes only, in step order."""
    return [step_cost(program, k) for k in range(1, program.steps + 1)]


def largest(program) -> StepCost:
    """The step whose proof costs the most gas."""
    return max(program_costs(program), key=lambda c: c.gas)


_CHECKED: dict[int, weakref.ref] = {}  # programs found to fit, by id (a program is not changed once made)


def check_fits(program) -> None:
    """Raises StepProofTooLarge for the first step whose one-step transaction, by the model, passes
    BYTES_BOUND or GAS_BOUND; what every register_model asks before a model goes on chain. Steps of
    float programs (ONNX nodes a jury settles, no one-step kernel) carry no one-step proof."""
    hit = _CHECKED.get(id(program))
    if hit is not None and hit() is program:
        return
    for k, node in enumerate(program.nodes, 1):
        if is_float_step(program, k) or get_op(node.op) is None:
            continue
        c = step_cost(program, k)
        # INVARIANT: every step of a registered program has a one-step proof a real chain takes.
        if not c.fits:
            raise StepProofTooLarge(
                f"step {k} ({node.op}, node '{node.name}') has a one-step proof of {c.tx_bytes} bytes and "
                f"{c.gas} gas by the model, over the {BYTES_BOUND} bytes / {GAS_BOUND} gas a chain takes: "
                f"the program cannot be disputed at that step")
    _CHECKED[id(program)] = weakref.ref(program)
