"""Sharded programs (issue 22, Nesa): a model's program cut at chosen steps into contiguous shards.

A cut after step c is valid when exactly one computed value is live across it (written at or before c,
read after c or an output): the boundary. Shard j runs steps (c_{j-1}, c_j] as a program of its own whose
input slot is the previous boundary (shard 1's is the model's input) and whose output is the next
boundary (the last shard's: the model's outputs). In a transformer the residual stream after each block
is such a value, so layer blocks are shards; any other valid step works too.

Compression (`block`): after each cut the registered program runs QuantizeBlock (the boundary as int8
per block, packed two per int16: runtime/ops/quantizeblock.py) and the next shard starts with
DequantizeBlock. Both are steps of the registered program, so a lie in them is disputed like any other.
`ShardPlan.full` is that whole program (the model as registered: `full` with compression pairs, or
the plain program without), and the shards are exactly its steps cut into runs: running them one
after another gives `full`'s output bit for bit.

Registration: the sharded model id commits to the full program's model id, the cut steps and each
shard's own model id (`bisection.shards.sharded_id`), so every shard root chains to the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .errors import TribunalError
from .ops import get_op
from .ops.quantizeblock import check_block, packed_shape
from .program import Node, Program, Slot

DEFAULT_BLOCK = 64


class InvalidCut(TribunalError):
    """A cut step is out of range, out of order, or has no single value live across it."""


def readers(program: Program) -> dict[int, int]:
    """{slot: the last step that reads it} (outputs count as read after the last step)."""
    last: dict[int, int] = {}
    for n in program.nodes:
        for i in n.inputs:
            last[i] = n.index + 1
    for o in program.output_slots:
        last[o] = program.steps + 1
    return last


def live_after(program: Program, c: int, last: dict[int, int] | None = None) -> list[int]:
    """The computed slots (the input and values) written at or before step c and read after it."""
    last = readers(program) if last is None else last
    written = [program.input_slot] + [o for n in program.nodes[:c] for o in n.outputs]
    return [s for s in written if last.get(s, 0) > c]


def valid_cuts(program: Program) -> list[int]:
    """Steps after which exactly one int16 activation is live: where a program can be cut. A split op's
    running partial (a Conv's or Gemm's int64 limbs between ConvBlock/GemmBlock steps) is one int16 value
    too, but not an activation: block-quantizing limbs destroys them (digits-cnn cut there fell from 98%
    to 12% accuracy), so it is never a boundary."""
    last = readers(program)
    producer = {o: n for n in program.nodes for o in n.outputs}
    out = []
    for c in range(1, program.steps):
        live = live_after(program, c, last)
        if len(live) == 1 and program.slots[live[0]].dtype == "int16" and live[0] != program.input_slot \
                and not get_op(producer[live[0]].op).partial:
            out.append(c)
    return out


def step_weights(program: Program) -> list[int]:
    """Per step: bytes of the constants it reads (weights, tables) plus one, so shards balance memory."""
    return [1 + sum(program.constants[i].nbytes for i in n.inputs if i in program.constants) for n in program.nodes]


def even_cuts(program: Program, k: int, among=None) -> tuple[int, ...]:
    """k-1 valid cuts nearest to an even split of the weights a node must hold (Nesa shards by memory;
    in a transformer the cuts fall between layer blocks). `among`: the candidate cuts (default: every
    valid cut), e.g. only the ends of a transformer's blocks."""
    if k < 1:
        raise InvalidCut(f"a model needs at least one shard, got {k}")
    valid = valid_cuts(program) if among is None else sorted(check_cuts(program, sorted(set(among))))
    if k - 1 > len(valid):
        raise InvalidCut(f"the program has {len(valid)} valid cuts, {k} shards need {k - 1}")
    cum = np.cumsum([0, *step_weights(program)])
    chosen: list[int] = []
    for j in range(1, k):
        target = cum[-1] * j / k
        left = [c for c in valid if not chosen or c > chosen[-1]]
        left = left[:len(left) - (k - 1 - j)]  # leave a cut for each shard still to come
        chosen.append(min(left, key=lambda c: (abs(cum[c] - target), c)))
    return tuple(chosen)


def check_cuts(program: Program, cuts) -> tuple[int, ...]:
    cuts = tuple(int(c) for c in cuts)
    valid = set(valid_cuts(program))
    for i, c in enumerate(cuts):
        # INVARIANT: cuts are increasing steps inside the program, each with exactly one boundary value.
        if not 0 < c < program.steps or (i and c <= cuts[i - 1]):
            raise InvalidCut(f"cut {c}: cuts must be increasing steps in 1..{program.steps - 1}, got {list(cuts)}")
        if c not in valid:
            live = live_after(program, c)
            if len(live) == 1 and program.slots[live[0]].dtype == "int16" and live[0] != program.input_slot:
                raise InvalidCut(f"cut {c}: the value live after step {c} is a split op's running partial "
                                 f"(slot {live[0]}), not an activation; cut before or after the split")
            raise InvalidCut(f"cut {c}: {len(live)} values are live after step {c} (slots {live[:6]}); "
                             f"a cut needs exactly one int16 value")
    return cuts


def compress(program: Program, cuts, block: int = DEFAULT_BLOCK) -> tuple[Program, tuple[int, ...]]:
    """`program` with QuantizeBlock + DequantizeBlock after each cut whose boundary packing makes smaller,
    and the cuts moved to fall right after each QuantizeBlock (so the packed boundary is what crosses them)."""
    check_block(block)
    cuts = check_cuts(program, cuts)
    slots = list(program.slots)
    nodes: list[Node] = []
    remap: dict[int, int] = {}
    new_cuts = []
    boundary = {c: live_after(program, c)[0] for c in cuts}
    for n in program.nodes:
        nodes.append(replace(n, index=len(nodes), inputs=tuple(remap.get(i, i) for i in n.inputs)))
        c = n.index + 1
        if c in boundary and 2 * int(np.prod(packed_shape(slots[boundary[c]].size, block))) < 2 * slots[boundary[c]].size:
            b = slots[boundary[c]]
            packed = Slot(len(slots), f"{b.name}:packed", packed_shape(b.size, block), "int16", "value", b.scale)
            slots.append(packed)
            nodes.append(Node(len(nodes), "QuantizeBlock", f"shard-boundary-{c}:quantize", (b.index,),
                              (packed.index,), {"block": block}))
            new_cuts.append(len(nodes))
            back = Slot(len(slots), f"{b.name}:dequantized", b.shape, "int16", "value", b.scale)
            slots.append(back)
            nodes.append(Node(len(nodes), "DequantizeBlock", f"shard-boundary-{c}:dequantize", (packed.index,),
                              (back.index,), {"shape": tuple(b.shape)}))
            remap[b.index] = back.index
        elif c in boundary:  # a boundary too small for packing to save bytes travels as it is
            new_cuts.append(len(nodes))
    outputs = tuple(remap.get(o, o) for o in program.output_slots)
    return Program(slots, nodes, dict(program.constants), program.input_slot, outputs), tuple(new_cuts)


def split(program: Program, cuts) -> list[Program]:
    """The shards of `program` at `cuts`: one program per run of steps, each reading the previous
    boundary as its input slot."""
    cuts = check_cuts(program, cuts)
    last = readers(program)
    bounds = (0, *cuts, program.steps)
    shards = []
    for a, b in zip(bounds, bounds[1:]):
        src = program.input_slot if a == 0 else live_after(program, a, last)[0]
        outs = program.output_slots if b == program.steps else tuple(live_after(program, b, last))
        run = program.nodes[a:b]
        used = sorted({src, *outs, *(i for n in run for i in (*n.inputs, *n.outputs))})
        new = {old: i for i, old in enumerate(used)}
        slots = []
        for old in used:
            s = program.slots[old]
            slots.append(replace(s, index=new[old], kind="input" if old == src else s.kind))
        nodes = [Node(k, n.op, n.name, tuple(new[i] for i in n.inputs), tuple(new[o] for o in n.outputs), n.attrs)
                 for k, n in enumerate(run)]
        consts = {new[i]: v for i, v in program.constants.items() if i in new}
        shards.append(Program(slots, nodes, consts, new[src], tuple(new[o] for o in outs)))
    return shards


@dataclass
class ShardPlan:
    """A model cut into shards: the registered whole program, its cut steps and the shard programs."""

    base: Program  # the model's own program
    cuts: tuple[int, ...]  # cut steps of `full`
    block: int | None  # QuantizeBlock's block size, None: boundaries travel uncompressed
    full: Program = field(repr=False)
    shards: list[Program] = field(repr=False)

    @classmethod
    def make(cls, program: Program, k: int | None = None, cuts=None, block: int | None = DEFAULT_BLOCK) -> "ShardPlan":
        """Cut `program` at `cuts` (steps of the uncompressed program) or into `k` even shards."""
        if cuts is None:
            cuts = even_cuts(program, k or 1)
        cuts = check_cuts(program, cuts)
        full, full_cuts = (program, cuts) if block is None or not cuts else compress(program, cuts, block)
        return cls(program, full_cuts, block, full, split(full, full_cuts))

    @property
    def k(self) -> int:
        return len(self.shards)

    def steps_of(self, j: int) -> tuple[int, int]:
        """(first, last) step of `full` that shard j (0-based) runs."""
        bounds = (0, *self.cuts, self.full.steps)
        return bounds[j] + 1, bounds[j + 1]

    def boundary_bytes(self, j: int) -> int:
        """Canonical bytes of boundary j (1..K-1) as it travels: shard j's output."""
        s = self.shards[j - 1]
        slot = s.slots[s.output_slots[0]]
        return slot.size * np.dtype(slot.dtype).itemsize

    def run(self, x_q: np.ndarray, backend: str = "numpy") -> list[np.ndarray]:
        """Every boundary: [input, shard 1's output, ..., the model's output]."""
        out = [np.asarray(x_q)]
        for s in self.shards:
            out.append(s.run(out[-1], backend)[0])
        return out
